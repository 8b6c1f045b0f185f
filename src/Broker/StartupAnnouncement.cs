using System.Diagnostics;
using Broker.Configuration;
using Broker.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker;

/// <summary>
/// RabbitMQ's readiness line, "Server startup complete", once every listener accepts connections:
/// Testcontainers.RabbitMq and compose health checks wait for it. Registered after the broker and the
/// management listeners, so its start comes after theirs; logged under <see cref="Category"/>, which
/// the executable prints at every log level.
/// </summary>
internal sealed partial class StartupAnnouncement(ILoggerFactory loggerFactory, BrokerOptions options) : IHostedService
{
    /// <summary>The logger category of the lines printed whatever the log level.</summary>
    public const string Category = "Broker.Lifecycle";

    private readonly ILogger _logger = loggerFactory.CreateLogger(Category);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var elapsed = DateTime.Now - Process.GetCurrentProcess().StartTime;
        StartupComplete(_logger, options.ProductVersion, (long)elapsed.TotalMilliseconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Which config files were read, and each unknown key once (before the host starts).</summary>
    public static void LogConfigFiles(FileSettings files)
    {
        if (files.Files.Count > 0)
        {
            Serilog.Log.Information("config files read: {ConfigFiles}", files.Files);
        }

        foreach (var warning in files.Warnings)
        {
            Serilog.Log.Warning("{ConfigWarning}", warning);
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Server startup complete; broker {Version} ready in {ElapsedMs} ms")]
    private static partial void StartupComplete(ILogger logger, string version, long elapsedMs);
}
