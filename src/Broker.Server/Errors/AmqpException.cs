using Broker.Engine.Errors;
using Broker.Protocol;
using Broker.Protocol.Methods;

namespace Broker.Server.Errors;

/// <summary>
/// A protocol error raised while handling a method: soft codes close the channel, hard codes the
/// connection. The text is RabbitMQ's explanation; the reply text on the wire is prefixed with the
/// code's name ("NOT_FOUND - no queue 'q' in vhost '/'").
/// </summary>
public sealed class AmqpException : Exception
{
    public AmqpException(ushort replyCode, string explanation, uint methodId)
        : base(explanation)
    {
        ReplyCode = replyCode;
        MethodId = methodId;
    }

    private AmqpException(ushort replyCode, string replyText)
        : base(replyText)
    {
        ReplyCode = replyCode;
        _bareText = true;
    }

    private readonly bool _bareText;

    public ushort ReplyCode { get; }

    /// <summary>The failing method (class &lt;&lt; 16 | method), 0 when there is none.</summary>
    public uint MethodId { get; }

    public bool IsHardError => ReplyCodes.IsHardError(ReplyCode) || ReplyCode == ReplyCodes.ConnectionForced;

    public string ReplyText => _bareText ? Message : FormatReplyText(ReplyCode, Message);

    /// <summary>
    /// What RabbitMQ sends when a channel process crashes (a non-AMQP exit reason): 541 with the bare
    /// text "INTERNAL_ERROR" and no method (rabbit_binary_generator:lookup_amqp_exception).
    /// </summary>
    public static AmqpException ChannelCrashed() => new(ReplyCodes.InternalError, ReplyCodes.GetName(ReplyCodes.InternalError));

    public static string FormatReplyText(ushort code, string explanation)
    {
        // Without an explanation, the name alone: RabbitMQ's 541 after a crash says just "INTERNAL_ERROR".
        var text = explanation.Length == 0 ? ReplyCodes.GetName(code) : $"{ReplyCodes.GetName(code)} - {explanation}";

        // reply-text is a shortstr: at most 255 bytes of UTF-8.
        return System.Text.Encoding.UTF8.GetByteCount(text) <= 255 ? text : Truncate(text);
    }

    public static AmqpException From(EngineError error, uint methodId) => new(ToReplyCode(error.Kind), error.Text, methodId);

    public static ushort ToReplyCode(ErrorKind kind) => kind switch
    {
        ErrorKind.NotFound => ReplyCodes.NotFound,
        ErrorKind.AccessRefused => ReplyCodes.AccessRefused,
        ErrorKind.ResourceLocked => ReplyCodes.ResourceLocked,
        ErrorKind.PreconditionFailed => ReplyCodes.PreconditionFailed,
        ErrorKind.NotAllowed => ReplyCodes.NotAllowed,
        ErrorKind.NotImplemented => ReplyCodes.NotImplemented,
        ErrorKind.CommandInvalid => ReplyCodes.CommandInvalid,
        ErrorKind.ResourceError => ReplyCodes.ResourceError,
        _ => ReplyCodes.InternalError,
    };

    public static AmqpException NotFound(string text, uint methodId) => new(ReplyCodes.NotFound, text, methodId);

    public static AmqpException AccessRefused(string text, uint methodId) => new(ReplyCodes.AccessRefused, text, methodId);

    public static AmqpException PreconditionFailed(string text, uint methodId) => new(ReplyCodes.PreconditionFailed, text, methodId);

    public static AmqpException NotAllowed(string text, uint methodId) => new(ReplyCodes.NotAllowed, text, methodId);

    public static AmqpException NotImplemented(string text, uint methodId) => new(ReplyCodes.NotImplemented, text, methodId);

    public static AmqpException CommandInvalid(string text, uint methodId) => new(ReplyCodes.CommandInvalid, text, methodId);

    public static AmqpException ChannelError(string text, uint methodId) => new(ReplyCodes.ChannelError, text, methodId);

    public static AmqpException UnexpectedFrame(string text, uint methodId) => new(ReplyCodes.UnexpectedFrame, text, methodId);

    public static AmqpException FrameError(string text, uint methodId) => new(ReplyCodes.FrameError, text, methodId);

    private static string Truncate(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var length = 255;
        while (length > 0 && (bytes[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return System.Text.Encoding.UTF8.GetString(bytes, 0, length);
    }

    public override string ToString() => $"{ReplyText} ({MethodIds.GetName(MethodId)})";
}
