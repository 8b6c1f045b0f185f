using Microsoft.Extensions.Logging;

namespace Broker.Testing;

/// <summary>
/// Wraps the logger factory a test gave the broker: everything still goes there, and lines at error
/// level or above are also kept, so a test can fail when the broker logged a failure during it.
/// </summary>
internal sealed class ErrorRecorder(ILoggerFactory inner) : ILoggerFactory
{
    private readonly Lock _lock = new();
    private readonly List<BrokerLogEntry> _errors = [];

    public IReadOnlyList<BrokerLogEntry> Snapshot()
    {
        lock (_lock)
        {
            return [.. _errors];
        }
    }

    public IReadOnlyList<BrokerLogEntry> Take()
    {
        lock (_lock)
        {
            var taken = _errors.ToArray();
            _errors.Clear();
            return taken;
        }
    }

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName, inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The factory belongs to whoever made it; the broker only borrows it.
    }

    private void Record(BrokerLogEntry entry)
    {
        lock (_lock)
        {
            _errors.Add(entry);
        }
    }

    private sealed class RecordingLogger(ErrorRecorder recorder, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error && logLevel != LogLevel.None)
            {
                recorder.Record(new BrokerLogEntry(DateTimeOffset.UtcNow, logLevel, category, formatter(state, exception), exception));
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
