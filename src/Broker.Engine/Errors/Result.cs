namespace Broker.Engine.Errors;

/// <summary>A value or the reason there is none.</summary>
public readonly struct Result<T>
{
    private Result(T? value, EngineError error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public EngineError Error { get; }

    public bool IsError => Error.IsError;

    public static implicit operator Result<T>(T value) => new(value, EngineError.None);

    public static implicit operator Result<T>(EngineError error) => new(default, error);
}
