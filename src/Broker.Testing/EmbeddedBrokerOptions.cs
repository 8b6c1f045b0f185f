using Microsoft.Extensions.Logging;

namespace Broker.Testing;

/// <summary>Settings of an <see cref="EmbeddedBroker"/>; every one has a test-friendly default.</summary>
public sealed class EmbeddedBrokerOptions
{
    /// <summary>The default user's name (guest).</summary>
    public string User { get; set; } = "guest";

    /// <summary>The default user's password (guest).</summary>
    public string Password { get; set; } = "guest";

    /// <summary>TCP port on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Where the broker keeps its data; by default a new temporary directory, deleted on dispose.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Receives the broker's logs; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// A RabbitMQ definitions file (users, vhosts, permissions, exchanges, queues, bindings) imported at
    /// start, as the broker's --load-definitions. A fresh data directory then gets only what the file
    /// defines: include the user of <see cref="User"/> and <see cref="Password"/> for <c>AmqpUri</c> to work.
    /// </summary>
    public string? DefinitionsFile { get; set; }

    /// <summary>How long a delivery may stay unacknowledged before its channel is closed (RabbitMQ's 30 minutes).</summary>
    public TimeSpan ConsumerTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Heartbeat interval proposed to clients, in seconds (RabbitMQ's 60 by default).</summary>
    public ushort Heartbeat { get; set; } = 60;

    /// <summary>
    /// The management HTTP API's port: null (the default) leaves it off, 0 picks a free port
    /// (<see cref="EmbeddedBroker.ManagementUri"/> then says which).
    /// </summary>
    public int? ManagementPort { get; set; }

    /// <summary>The Prometheus endpoint's port: null (the default) leaves it off, 0 picks a free port.</summary>
    public int? PrometheusPort { get; set; }
}
