using System.Diagnostics;
using System.Globalization;
using System.Text;
using Broker.Engine.Monitoring;
using Broker.Hosting;
using Microsoft.AspNetCore.Http;

namespace Broker.Management.Metrics;

/// <summary>
/// Prometheus text format with rabbitmq_prometheus's metric names, so existing Grafana dashboards
/// show something: <c>/metrics</c> aggregates across objects (as the plugin does by default) and
/// <c>/metrics/per-object</c> labels queue metrics with vhost and queue.
/// </summary>
public sealed class PrometheusEndpoint(BrokerRuntime runtime, RateSampler sampler)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path is not ("/metrics" or "/metrics/" or "/metrics/per-object" or "/metrics/detailed"))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var text = Render(perObject: path == "/metrics/per-object");
        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    public string Render(bool perObject)
    {
        var engine = runtime.Engine;
        var output = new StringBuilder(4096);
        var node = engine.Options.NodeName;
        var version = runtime.Options.Server.ServerVersion ?? engine.Options.Compat.RabbitMqVersion;
        Metric(output, "rabbitmq_build_info", "untyped", "RabbitMQ & Erlang/OTP version info",
            [($"rabbitmq_version=\"{version}\",prometheus_plugin_version=\"{version}\",prometheus_client_version=\"4.9.1\",erlang_version=\"{Environment.Version}\",broker_version=\"{runtime.Options.ProductVersion}\"", 1)]);
        Metric(output, "rabbitmq_identity_info", "untyped", "RabbitMQ node & cluster identity info",
            [($"rabbitmq_node=\"{node}\",rabbitmq_cluster=\"{node}\"", 1)]);

        List<IManagedConnection> connections = [];
        engine.Clients.CopyTo(connections);
        var channels = sampler.Channels();
        long consumers = 0, queues = 0;
        long ready = 0, unacked = 0, readyBytes = 0, ram = 0, pagedOut = 0;
        var queueRows = new List<(string Labels, QueueRow Row)>();
        foreach (var virtualHost in engine.VirtualHosts)
        {
            foreach (var queue in virtualHost.Queues)
            {
                var details = queue.GetDetails();
                var row = new QueueRow(details.Counts.Messages, details.Counts.Unacked, details.Counts.Consumers, details.ReadyBytes, details.InMemoryCount, Math.Max(0, details.Counts.Messages - details.InMemoryCount), queue.Stats.Published);
                queues++;
                consumers += row.Consumers;
                ready += row.Ready;
                unacked += row.Unacked;
                readyBytes += row.ReadyBytes;
                ram += row.Ram;
                pagedOut += row.PagedOut;
                if (perObject)
                {
                    queueRows.Add(($"vhost=\"{Escape(virtualHost.Name)}\",queue=\"{Escape(queue.Name)}\"", row));
                }
            }
        }

        Gauge(output, "rabbitmq_connections", "Connections currently open", connections.Count);
        Gauge(output, "rabbitmq_channels", "Channels currently open", channels.Count);
        Gauge(output, "rabbitmq_consumers", "Consumers currently connected", consumers);
        Gauge(output, "rabbitmq_queues", "Queues available", queues);
        Counter(output, "rabbitmq_connections_opened_total", "Total number of connections opened", engine.Clients.Opened);
        Counter(output, "rabbitmq_connections_closed_total", "Total number of connections closed or terminated", engine.Clients.Closed);

        var totals = sampler.BrokerTotals();
        Counter(output, "rabbitmq_channel_messages_published_total", "Total number of messages published into an exchange on a channel", totals.Publish);
        Counter(output, "rabbitmq_channel_messages_confirmed_total", "Total number of messages published into an exchange and confirmed on the channel", totals.Confirm);
        Counter(output, "rabbitmq_channel_messages_unroutable_returned_total", "Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable", totals.ReturnUnroutable);
        Counter(output, "rabbitmq_channel_messages_unroutable_dropped_total", "Total number of messages published as non-mandatory into an exchange and dropped as unroutable", totals.DropUnroutable);
        Counter(output, "rabbitmq_channel_messages_delivered_ack_total", "Total number of messages delivered to consumers in manual acknowledgement mode", totals.Deliver);
        Counter(output, "rabbitmq_channel_messages_delivered_total", "Total number of messages delivered to consumers in automatic acknowledgement mode", totals.DeliverNoAck);
        Counter(output, "rabbitmq_channel_messages_redelivered_total", "Total number of messages redelivered to consumers", totals.Redeliver);
        Counter(output, "rabbitmq_channel_messages_acked_total", "Total number of messages acknowledged by consumers", totals.Ack);
        Counter(output, "rabbitmq_channel_get_ack_total", "Total number of messages fetched with basic.get in manual acknowledgement mode", totals.Get);
        Counter(output, "rabbitmq_channel_get_total", "Total number of messages fetched with basic.get in automatic acknowledgement mode", totals.GetNoAck);

        long channelUnacked = 0, channelUnconfirmed = 0, channelUncommitted = 0;
        foreach (var channel in channels)
        {
            channelUnacked += channel.Unacked;
            channelUnconfirmed += channel.Unconfirmed;
            channelUncommitted += channel.UncommittedMessages;
        }

        Gauge(output, "rabbitmq_channel_messages_unacked", "Delivered but not yet acknowledged messages", channelUnacked);
        Gauge(output, "rabbitmq_channel_messages_unconfirmed", "Published but not yet confirmed messages", channelUnconfirmed);
        Gauge(output, "rabbitmq_channel_messages_uncommitted", "Messages received in a transaction but not yet committed", channelUncommitted);

        if (perObject)
        {
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers", r => r.Ready);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_unacked", "gauge", "Messages delivered to consumers but not yet acknowledged", r => r.Unacked);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages", "gauge", "Sum of ready and unacknowledged messages - total queue depth", r => r.Ready + r.Unacked);
            QueueMetric(output, queueRows, "rabbitmq_queue_consumers", "gauge", "Consumers on a queue", r => r.Consumers);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_ready_bytes", "gauge", "Size in bytes of ready messages", r => r.ReadyBytes);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_ready_ram", "gauge", "Ready messages stored in memory", r => r.Ram);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_paged_out", "gauge", "Messages paged out to disk", r => r.PagedOut);
            QueueMetric(output, queueRows, "rabbitmq_queue_messages_published_total", "counter", "Total number of messages published to queues", r => r.Published);
        }
        else
        {
            Gauge(output, "rabbitmq_queue_messages_ready", "Messages ready to be delivered to consumers", ready);
            Gauge(output, "rabbitmq_queue_messages_unacked", "Messages delivered to consumers but not yet acknowledged", unacked);
            Gauge(output, "rabbitmq_queue_messages", "Sum of ready and unacknowledged messages - total queue depth", ready + unacked);
            Gauge(output, "rabbitmq_queue_consumers", "Consumers on a queue", consumers);
            Gauge(output, "rabbitmq_queue_messages_ready_bytes", "Size in bytes of ready messages", readyBytes);
            Gauge(output, "rabbitmq_queue_messages_ready_ram", "Ready messages stored in memory", ram);
            Gauge(output, "rabbitmq_queue_messages_paged_out", "Messages paged out to disk", pagedOut);
        }

        long incoming = 0, outgoing = 0;
        foreach (var connection in connections)
        {
            var info = connection.Describe();
            incoming += info.ReceivedBytes;
            outgoing += info.SentBytes;
        }

        Counter(output, "rabbitmq_connection_incoming_bytes_total", "Total number of bytes received on a connection", incoming);
        Counter(output, "rabbitmq_connection_outgoing_bytes_total", "Total number of bytes sent on a connection", outgoing);

        using var process = Process.GetCurrentProcess();
        var options = runtime.Server.Options;
        var memoryLimit = ManagementContext.MemoryLimitOf(options);
        var drive = new DriveInfo(Path.GetFullPath(runtime.Options.DataDirectory));
        Gauge(output, "rabbitmq_process_resident_memory_bytes", "Memory used in bytes", process.WorkingSet64);
        Gauge(output, "rabbitmq_resident_memory_limit_bytes", "Memory high watermark in bytes", memoryLimit);
        Gauge(output, "rabbitmq_disk_space_available_bytes", "Disk space available in bytes", drive.AvailableFreeSpace);
        Gauge(output, "rabbitmq_disk_space_available_limit_bytes", "Free disk space low watermark in bytes", options.DiskFreeLimit);
        Gauge(output, "rabbitmq_process_open_fds", "Open file descriptors", process.HandleCount);
        Gauge(output, "rabbitmq_erlang_uptime_seconds", "Node uptime", (long)(DateTimeOffset.UtcNow - engine.StartedAt).TotalSeconds);
        Metric(output, "rabbitmq_alarms_memory_used_watermark", "untyped", "is 1 if VM memory watermark alarm is in effect", [(string.Empty, engine.Alarms.MemoryAlarm ? 1 : 0)]);
        Metric(output, "rabbitmq_alarms_free_disk_space_watermark", "untyped", "is 1 if free disk space watermark alarm is in effect", [(string.Empty, engine.Alarms.DiskAlarm ? 1 : 0)]);
        return output.ToString();
    }

    private readonly record struct QueueRow(long Ready, long Unacked, long Consumers, long ReadyBytes, long Ram, long PagedOut, long Published);

    private static void Gauge(StringBuilder output, string name, string help, long value) => Metric(output, name, "gauge", help, [(string.Empty, value)]);

    private static void Counter(StringBuilder output, string name, string help, long value) => Metric(output, name, "counter", help, [(string.Empty, value)]);

    private static void QueueMetric(StringBuilder output, List<(string Labels, QueueRow Row)> rows, string name, string type, string help, Func<QueueRow, long> value)
    {
        var samples = new List<(string, long)>(rows.Count);
        foreach (var (labels, row) in rows)
        {
            samples.Add((labels, value(row)));
        }

        Metric(output, name, type, help, samples);
    }

    private static void Metric(StringBuilder output, string name, string type, string help, List<(string Labels, long Value)> samples)
    {
        output.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        output.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        foreach (var (labels, value) in samples)
        {
            output.Append(name);
            if (labels.Length > 0)
            {
                output.Append('{').Append(labels).Append('}');
            }

            output.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
