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

    /// <summary>
    /// The RabbitMQ release to behave like where 3.13 and 4.x differ, as the broker's --compat: "3.13"
    /// (the default) or "4", to learn whether an application survives the upgrade to RabbitMQ 4.
    /// </summary>
    public string Compat { get; set; } = "3.13";

    /// <summary>connection.start's "product" server property; null is the broker's own name.</summary>
    public string? ServerProduct { get; set; }

    /// <summary>connection.start's "version" server property; null is the RabbitMQ version of <see cref="Compat"/>.</summary>
    public string? ServerVersion { get; set; }
}
