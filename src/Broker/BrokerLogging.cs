using Broker.Server.Hosting;
using Serilog;
using Serilog.Events;

namespace Broker;

/// <summary>The executable's Serilog configuration: level, text or JSON, and the lines printed at every level.</summary>
internal static class BrokerLogging
{
    // The offset makes a line's time unambiguous when logs from several hosts or containers are read together.
    private const string TextTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fffzzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}";

    public static Serilog.Core.Logger Create(BrokerSettings settings)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(settings.LogLevel)

            // ASP.NET Core's and the host's information lines are noise for a broker; their warnings are not.
            .MinimumLevel.Override("Microsoft", Max(LogEventLevel.Warning, settings.LogLevel))

            // The host logs a failed start with its stack trace; Program reports it in one line.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Fatal)

            // Where the broker listens and when it is ready, whatever the level (see LifecycleLog).
            .MinimumLevel.Override(LifecycleLog.Category, LogEventLevel.Verbose)
            .Enrich.FromLogContext();

        return (settings.JsonLogs
                ? configuration.WriteTo.Console(new JsonLogFormatter())
                : configuration.WriteTo.Console(outputTemplate: TextTemplate))
            .CreateLogger();
    }

    private static LogEventLevel Max(LogEventLevel a, LogEventLevel b) => a > b ? a : b;
}
