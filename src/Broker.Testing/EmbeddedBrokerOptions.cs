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

    /// <summary>Receives the broker's logs; none by default. <see cref="LogOutput"/> is the simpler way to see them in a test's output.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Writes the broker's log lines (one string each, exceptions included) to the test framework's
    /// output: xunit's <c>ITestOutputHelper.WriteLine</c>, NUnit's <c>TestContext.Progress.WriteLine</c>,
    /// MSTest's <c>TestContext.WriteLine</c>, or <c>Console.WriteLine</c>. Lines logged after the test
    /// that owns the writer has ended are dropped rather than failing the broker.
    /// </summary>
    public Action<string>? LogOutput { get; set; }

    /// <summary>The least severe level written to <see cref="LogOutput"/>: Information (connections opened and closed, warnings, errors) by default.</summary>
    public LogLevel LogOutputLevel { get; set; } = LogLevel.Information;

    /// <summary>
    /// The default virtual host ("/"): created on a fresh broker with full permissions for <see cref="User"/>,
    /// and the path of <see cref="EmbeddedBroker.AmqpUri"/>.
    /// </summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>The largest frame the broker accepts and proposes in connection.tune, in bytes (RabbitMQ's 131072).</summary>
    public uint FrameMax { get; set; } = 131072;

    /// <summary>The largest message body accepted, in bytes; null is RabbitMQ's default for <see cref="Compat"/> (128 MiB for 3.13, 16 MiB for 4).</summary>
    public long? MaxMessageSize { get; set; }

    /// <summary>The most channels a connection may open (RabbitMQ's 2047).</summary>
    public ushort ChannelMax { get; set; } = 2047;

    /// <summary>
    /// A RabbitMQ definitions file (users, vhosts, permissions, exchanges, queues, bindings) imported at
    /// start, as the broker's --load-definitions. A fresh data directory then gets only what the file
    /// defines: include the user of <see cref="User"/> and <see cref="Password"/> for <c>AmqpUri</c> to work.
    /// </summary>
    public string? DefinitionsFile { get; set; }

    /// <summary>
    /// Definitions as a JSON string in RabbitMQ's format, imported at start (and again by
    /// <see cref="EmbeddedBroker.ResetAsync"/>) as <see cref="DefinitionsFile"/> is. Set one of
    /// <see cref="DefinitionsFile"/>, <see cref="DefinitionsJson"/> and <see cref="Definitions"/>.
    /// </summary>
    public string? DefinitionsJson { get; set; }

    /// <summary>
    /// Definitions as an object serialized to RabbitMQ's JSON format: an anonymous object, a
    /// dictionary, a <c>JsonNode</c>, or your own classes (property names are written in snake_case,
    /// <c>AutoDelete</c> as <c>auto_delete</c>; dictionary keys such as argument names are kept).
    /// </summary>
    /// <example>
    /// <code>
    /// Definitions = new
    /// {
    ///     queues = new[] { new { name = "orders", vhost = "/", durable = true, arguments = new Dictionary&lt;string, object&gt; { ["x-queue-type"] = "quorum" } } },
    ///     exchanges = new[] { new { name = "events", vhost = "/", type = "topic", durable = true } },
    ///     bindings = new[] { new { source = "events", vhost = "/", destination = "orders", destination_type = "queue", routing_key = "order.*" } },
    /// }
    /// </code>
    /// </example>
    public object? Definitions { get; set; }

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
