namespace Broker.DataModel;

/// <summary>
/// Input that breaks the protocol: a malformed field table, property list or frame. Carries the reply
/// code and text the connection closes with; such errors are always connection-level (hard) errors.
/// </summary>
public sealed class AmqpProtocolException : Exception
{
    /// <summary>AMQP's FRAME_ERROR.</summary>
    public const ushort FrameErrorCode = 501;

    /// <summary>AMQP's SYNTAX_ERROR.</summary>
    public const ushort SyntaxErrorCode = 502;

    public AmqpProtocolException(ushort replyCode, string message)
        : base(message)
    {
        ReplyCode = replyCode;
    }

    public ushort ReplyCode { get; }

    public static AmqpProtocolException Syntax(string message) => new(SyntaxErrorCode, message);

    public static AmqpProtocolException Frame(string message) => new(FrameErrorCode, message);
}
