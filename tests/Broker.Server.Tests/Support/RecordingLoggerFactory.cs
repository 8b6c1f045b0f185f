using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests.Support;

/// <summary>Keeps every line the server logs, so a test can fail on an error and look at warnings.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

    public List<(LogLevel Level, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public List<string> Errors => [.. Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Message} {e.Exception}")];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (factory._lock)
            {
                factory._entries.Add((logLevel, formatter(state, exception), exception));
            }
        }
    }
}
