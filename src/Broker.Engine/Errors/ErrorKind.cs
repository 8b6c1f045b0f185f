namespace Broker.Engine.Errors;

/// <summary>
/// Why an engine operation was refused. The AMQP layer maps each kind to its reply code
/// (NotFound to 404 and so on); the engine itself knows no protocol.
/// </summary>
public enum ErrorKind : byte
{
    None = 0,
    NotFound,
    AccessRefused,
    ResourceLocked,
    PreconditionFailed,
    NotAllowed,
    NotImplemented,
    CommandInvalid,
    InternalError,
    ResourceError,
}
