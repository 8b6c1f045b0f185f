using System.Net;

namespace Broker.Management;

/// <summary>Where the management HTTP API and the Prometheus endpoint listen.</summary>
public sealed class ManagementOptions
{
    /// <summary>The management API's port (RabbitMQ's 15672); 0 picks a free one; null turns the API off.</summary>
    public int? Port { get; set; } = 15672;

    /// <summary>The Prometheus endpoint's port (RabbitMQ's 15692); 0 picks a free one; null turns it off.</summary>
    public int? PrometheusPort { get; set; } = 15692;

    /// <summary>The address both listen on (the AMQP listener's by default).</summary>
    public IPAddress? BindAddress { get; set; }

    /// <summary>How often message rates are sampled (RabbitMQ's collect_statistics_interval, 5 s).</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);
}
