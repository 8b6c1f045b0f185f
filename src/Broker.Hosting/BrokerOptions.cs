using Broker.Engine;
using Broker.Server.Hosting;

namespace Broker.Hosting;

/// <summary>Everything one broker is configured with: the engine's settings, the listener's, and where its data lives.</summary>
public sealed class BrokerOptions
{
    /// <summary>Default user, vhost and password, message size and memory limits.</summary>
    public EngineOptions Engine { get; set; } = new();

    /// <summary>Listener, connection limits, heartbeats, alarms.</summary>
    public ServerOptions Server { get; set; } = new();

    /// <summary>Where the broker keeps its data (created if missing, locked while the broker runs).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>A RabbitMQ definitions file imported at every start (RabbitMQ's load_definitions), or null.</summary>
    public string? DefinitionsFile { get; set; }

    /// <summary>
    /// Definitions given as JSON rather than a file (the in-process test broker's options), imported at
    /// every start as <see cref="DefinitionsFile"/> is; used when no file is set.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? Definitions { get; set; }

    /// <summary>How long a stop waits for connections to close after 320 CONNECTION_FORCED before aborting them.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The version written into stored definitions (RabbitMQ's rabbit_version field).</summary>
    public string ProductVersion { get; set; } = typeof(BrokerOptions).Assembly.GetName().Version?.ToString() ?? "0";
}
