using Microsoft.Extensions.Logging;

namespace Broker.Server.Hosting;

/// <summary>
/// The lines a broker prints at every log level: where it listens and when it is ready. They are
/// logged under one category, <see cref="Category"/>, whose minimum level the executable lowers, so
/// `--port 0` stays usable and start-up waiters (Testcontainers, compose health checks) see their line
/// even with `--log-level error`. Add a line here only if a tool or a person must always see it.
/// </summary>
public static partial class LifecycleLog
{
    /// <summary>The logger category of the always-printed lines.</summary>
    public const string Category = "Broker.Lifecycle";

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{What} listening on {Address}")]
    public static partial void ComponentListening(ILogger logger, string what, string address);

    /// <summary>
    /// RabbitMQ's readiness line, once every listener accepts connections (Testcontainers.RabbitMq
    /// waits for "Server startup complete").
    /// </summary>
    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Server startup complete; broker {Version} ready in {ElapsedMs} ms")]
    public static partial void StartupComplete(ILogger logger, string version, long elapsedMs);
}
