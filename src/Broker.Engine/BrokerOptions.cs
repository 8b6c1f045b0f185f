namespace Broker.Engine;

/// <summary>Settings of the engine that do not depend on the protocol or the transport.</summary>
public sealed class EngineOptions
{
    public string DefaultUser { get; set; } = "guest";

    public string DefaultPassword { get; set; } = "guest";

    public string DefaultVirtualHost { get; set; } = "/";

    /// <summary>
    /// The node's name where RabbitMQ shows its Erlang node (the firehose's "node" header): by default
    /// rabbit@ and the host's name, as a RabbitMQ node is named.
    /// </summary>
    public string NodeName { get; set; } = "rabbit@" + Environment.MachineName;

    /// <summary>
    /// Which RabbitMQ release's defaults and refusals to reproduce where 3.13 and 4.x differ (see
    /// <see cref="CompatibilityProfile"/>); 3.13 by default.
    /// </summary>
    public CompatibilityProfile Compat { get; set; } = CompatibilityProfile.RabbitMq313;

    private long? _maxMessageSize;

    /// <summary>
    /// Largest message body accepted; unset, the profile's max_message_size default (128 MiB in 3.13,
    /// 16 MiB in 4.x).
    /// </summary>
    public long MaxMessageSize
    {
        get => _maxMessageSize ?? Compat.DefaultMaxMessageSize;
        set => _maxMessageSize = value;
    }

    /// <summary>How much of each queue stays in memory.</summary>
    public Queues.QueueLimits QueueLimits { get; set; } = new();

    /// <summary>Bytes of messages all queues together keep in memory before new ones go to logs.</summary>
    public long HeadMemoryLimit { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The clock of engine timers (delayed messages); tests substitute one they move by hand.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}
