namespace Broker.RawClient;

/// <summary>How <see cref="RawAmqpConnection"/> shakes hands.</summary>
public sealed class RawConnectOptions
{
    /// <summary>channel_max answered in tune-ok; 0 accepts the broker's.</summary>
    public ushort ChannelMax { get; init; }

    /// <summary>frame_max answered in tune-ok; 0 accepts the broker's.</summary>
    public uint FrameMax { get; init; }

    /// <summary>heartbeat answered in tune-ok, in seconds (0: none).</summary>
    public ushort Heartbeat { get; init; }

    /// <summary>Send connection.open for the URI's vhost (false stops after tune-ok).</summary>
    public bool Open { get; init; } = true;

    /// <summary>The product client property.</summary>
    public string Product { get; init; } = "raw-test-client";

    /// <summary>The connection_name client property, when set.</summary>
    public string? ConnectionName { get; init; }

    /// <summary>Capabilities announced in the client properties.</summary>
    public IReadOnlyDictionary<string, object?> Capabilities { get; init; } = new Dictionary<string, object?> { ["consumer_cancel_notify"] = true };

    /// <summary>The socket's receive buffer, set before connecting (0: the system's default).</summary>
    public int ReceiveBufferSize { get; init; }

    /// <summary>How long to wait for an expected frame.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
