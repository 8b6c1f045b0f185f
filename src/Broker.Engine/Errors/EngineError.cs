namespace Broker.Engine.Errors;

/// <summary>A refused operation: its kind and RabbitMQ's explanation text (without the code name prefix).</summary>
public readonly record struct EngineError(ErrorKind Kind, string Text)
{
    public bool IsError => Kind != ErrorKind.None;

    public static EngineError None => default;

    public static EngineError NotFound(string text) => new(ErrorKind.NotFound, text);

    public static EngineError AccessRefused(string text) => new(ErrorKind.AccessRefused, text);

    public static EngineError ResourceLocked(string text) => new(ErrorKind.ResourceLocked, text);

    public static EngineError PreconditionFailed(string text) => new(ErrorKind.PreconditionFailed, text);

    public static EngineError NotAllowed(string text) => new(ErrorKind.NotAllowed, text);

    public static EngineError NotImplemented(string text) => new(ErrorKind.NotImplemented, text);

    public static EngineError CommandInvalid(string text) => new(ErrorKind.CommandInvalid, text);
}
