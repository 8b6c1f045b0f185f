using Broker.Engine;
using Broker.Hosting;
using Broker.Management.Metrics;

namespace Broker.Management;

/// <summary>What every endpoint needs: the broker, the rate sampler, and how this node names itself.</summary>
internal sealed class ManagementContext
{
    public ManagementContext(BrokerRuntime runtime, RateSampler sampler)
    {
        Runtime = runtime;
        Sampler = sampler;
        NodeName = runtime.Engine.Options.NodeName;
        ClusterName = NodeName;
    }

    public BrokerRuntime Runtime { get; }

    public BrokerEngine Engine => Runtime.Engine;

    public RateSampler Sampler { get; }

    /// <summary>RabbitMQ's node name form (tools and dashboards expect "name@host").</summary>
    public string NodeName { get; }

    public string ClusterName { get; set; }

    /// <summary>The RabbitMQ version whose behaviour we follow (what tools gate features on).</summary>
    public string RabbitMqVersion => Runtime.Options.Server.ServerVersion ?? Engine.Options.Compat.RabbitMqVersion;

    public string ProductVersion => Runtime.Options.ProductVersion;

    public int AmqpPort => Runtime.Server.Port;

    public int ManagementPort { get; set; }

    public int PrometheusPort { get; set; }

    /// <summary>Where AMQP listens: "::" by default, "0.0.0.0" where the system has no IPv6.</summary>
    public string BindAddress => (Runtime.Server.EndPoint?.Address ?? Runtime.Server.Options.BindAddress).ToString();

    public string? DataDirectory => Runtime.Options.DataDirectory;

    public long DiskFreeLimit => Runtime.Server.Options.DiskFreeLimit;

    public long MemoryLimit => MemoryLimitOf(Runtime.Server.Options);

    /// <summary>The memory high watermark in bytes: as given, or that fraction of what the process may use.</summary>
    public static long MemoryLimitOf(Broker.Server.Hosting.ServerOptions options) =>
        options.MemoryHighWatermarkBytes > 0
            ? options.MemoryHighWatermarkBytes
            : (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * options.MemoryHighWatermark);

    public IEnumerable<(string Protocol, int Port)> Listeners()
    {
        yield return ("amqp", AmqpPort);
        if (ManagementPort > 0)
        {
            yield return ("http", ManagementPort);
        }

        if (PrometheusPort > 0)
        {
            yield return ("http/prometheus", PrometheusPort);
        }
    }
}
