using System.Net;

namespace Broker.Server.Hosting;

/// <summary>Settings of the AMQP listener and connections. Defaults are RabbitMQ's.</summary>
public sealed class ServerOptions
{
    /// <summary>TCP port; 0 picks a free one (see <see cref="BrokerServer.Port"/>).</summary>
    public int Port { get; set; } = 5672;

    /// <summary>The address to listen on: [::] (the default) takes IPv6 and IPv4 clients, as RabbitMQ's default listener.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.IPv6Any;

    public ushort ChannelMax { get; set; } = 2047;

    public uint FrameMax { get; set; } = 131072;

    /// <summary>Heartbeat interval proposed in connection.tune, in seconds.</summary>
    public ushort Heartbeat { get; set; } = 60;

    /// <summary>How long a client has to get from the protocol header to connection.open.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for close-ok after sending connection.close before dropping the socket.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a delivery may stay unacknowledged before its channel is closed with 406 (RabbitMQ's
    /// consumer_timeout, 30 minutes); zero or negative turns the check off.
    /// </summary>
    public TimeSpan ConsumerTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Bytes queued for a connection's socket beyond which its consumers are skipped until it drains.</summary>
    public long OutputSaturationBytes { get; set; } = 1024 * 1024;

    /// <summary>Bytes received and not yet processed beyond which the socket is not read (TCP backpressure).</summary>
    public long InputBufferBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Fraction of the memory the process may use (the container's limit when there is one) above which
    /// publishers are blocked: RabbitMQ's vm_memory_high_watermark (0.4 in RabbitMQ 3.10).
    /// </summary>
    public double MemoryHighWatermark { get; set; } = 0.4;

    /// <summary>An absolute memory limit in bytes instead of the fraction; 0 uses the fraction.</summary>
    public long MemoryHighWatermarkBytes { get; set; }

    /// <summary>Free disk space under the data directory below which publishers are blocked (RabbitMQ's 50 MB).</summary>
    public long DiskFreeLimit { get; set; } = 50_000_000;

    /// <summary>The data directory whose free space is watched; null watches nothing.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Bytes published but not yet written by the store beyond which publishing connections are paused.</summary>
    public long StorePendingLimit { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Users who may log in only from a loopback address (RabbitMQ's loopback_users, [guest] by
    /// default); others get the failed-login treatment (403 ACCESS_REFUSED).
    /// </summary>
    public IReadOnlyCollection<string> LoopbackUsers { get; set; } = ["guest"];

    /// <summary>
    /// connection.start's "product" server property; null is ours ("Broker"). Some tools compare it with
    /// "RabbitMQ" before they talk to a broker.
    /// </summary>
    public string? ServerProduct { get; set; }

    /// <summary>
    /// connection.start's "version" server property; null is the RabbitMQ version of the engine's
    /// compatibility profile (3.13.7, or 4.3.5 with --compat 4).
    /// </summary>
    public string? ServerVersion { get; set; }

    /// <summary>A copy, for a component that fills in what the caller left unset.</summary>
    public ServerOptions Copy() => (ServerOptions)MemberwiseClone();
}
