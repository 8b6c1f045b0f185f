using Microsoft.Extensions.Logging;

namespace Broker.Storage.Tests.Support;

/// <summary>A logger (and factory) that keeps every formatted line, so tests can see what recovery reported.</summary>
internal sealed class CapturingLogger : ILogger, ILoggerFactory
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];

    public List<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
