using Microsoft.Extensions.Logging;

namespace Broker.Testing;

/// <summary>
/// Writes the broker's log lines to a test framework's output (<see cref="EmbeddedBrokerOptions.LogOutput"/>),
/// and passes everything on to the logger factory the test gave too, if any.
/// </summary>
internal sealed class OutputLoggerFactory(Action<string> write, LogLevel minimumLevel, ILoggerFactory next) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new OutputLogger(this, categoryName, next.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => next.AddProvider(provider);

    public void Dispose()
    {
        // The factory passed on belongs to whoever made it.
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var line = $"{DateTimeOffset.Now:HH:mm:ss.fff} [{Abbreviation(level)}] {category}: {message}";
        if (exception is not null)
        {
            line += Environment.NewLine + exception;
        }

        try
        {
            write(line);
        }
        catch (InvalidOperationException)
        {
            // xunit's output helper refuses lines once its test has ended; the broker outlives tests.
        }
    }

    private static string Abbreviation(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRC",
        LogLevel.Debug => "DBG",
        LogLevel.Information => "INF",
        LogLevel.Warning => "WRN",
        LogLevel.Error => "ERR",
        _ => "CRT",
    };

    private sealed class OutputLogger(OutputLoggerFactory factory, string category, ILogger next) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => next.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => (logLevel >= factory.MinimumLevel && logLevel != LogLevel.None) || next.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= factory.MinimumLevel && logLevel != LogLevel.None)
            {
                factory.Write(logLevel, category, formatter(state, exception), exception);
            }

            if (next.IsEnabled(logLevel))
            {
                next.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    private LogLevel MinimumLevel => minimumLevel;
}
