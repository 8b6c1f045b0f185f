namespace Broker.Protocol;

/// <summary>
/// Input that breaks the protocol. Carries the reply code and text the connection closes with;
/// codec errors are always connection-level (hard) errors.
/// </summary>
public sealed class AmqpProtocolException : Exception
{
    public AmqpProtocolException(ushort replyCode, string message)
        : base(message)
    {
        ReplyCode = replyCode;
    }

    public ushort ReplyCode { get; }

    public static AmqpProtocolException Syntax(string message) => new(ReplyCodes.SyntaxError, message);

    public static AmqpProtocolException Frame(string message) => new(ReplyCodes.FrameError, message);
}
