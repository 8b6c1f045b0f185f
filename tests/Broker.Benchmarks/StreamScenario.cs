using Broker.Benchmarks.Clients;

namespace Broker.Benchmarks;

/// <summary>
/// stream: a stream queue (x-queue-type stream) over AMQP 0-9-1, the way RabbitMQ's AMQP clients use it.
/// Publishes an exact number of persistent messages with publisher confirms in a window, then one
/// consumer reads them all back from the start of the log (x-stream-offset first, which streams need
/// with basic.qos prefetch and manual acks). The stream keeps its messages after they are read, so
/// the count left in the queue is not checked.
/// </summary>
internal sealed class StreamScenario(Options options)
{
    private static readonly Dictionary<string, object?> QueueArguments = new(StringComparer.Ordinal) { ["x-queue-type"] = "stream" };
    private static readonly Dictionary<string, object?> ConsumeArguments = new(StringComparer.Ordinal) { ["x-stream-offset"] = "first" };
    private readonly DurabilityScenarios _phases = new(options);

    public Table CreateTable() => new("stream", "stream", $"1 producer with confirms ({options.ConfirmWindow} in flight) publishes {options.StreamMessages:N0} " +
        $"persistent {options.BacklogBodySize}-byte messages to 1 stream (x-queue-type stream, durable) with no consumer; then 1 consumer with " +
        $"x-stream-offset first (prefetch {options.Prefetch}, ack multiple every {options.AckEvery}) reads them all. Rates and CPU per message " +
        "span the first publish to the last confirm, and the consumer's basic.consume to its last delivery. Confirm latency: from taking a " +
        "window slot right before the publish call to the basic.ack, over every message of the publish phase.",
        [
            new("n", "messages", "N0"),
            new("pubRate", "publish msg/s", "N0", Ratio: true),
            new("pubCpu", "broker CPU µs/msg publish", "N1", Ratio: true),
            new("c50", "confirm p50 µs", "N0", Ratio: true),
            new("c99", "confirm p99 µs", "N0", Ratio: true),
            new("cmax", "confirm max µs", "N0"),
            new("pubLg", "loadgen CPU µs/msg publish", "N1"),
            new("readRate", "consume msg/s", "N0", Ratio: true),
            new("readCpu", "broker CPU µs/msg consume", "N1", Ratio: true),
            new("readLg", "loadgen CPU µs/msg consume", "N1"),
            new("rss", "broker RSS MB", "N1"),
        ]);

    public async Task RunAsync(TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        var queue = $"bench-stream-{Scenarios.NewId()}";
        var n = options.StreamMessages;
        await using var admin = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
        try
        {
            await DurabilityScenarios.Admin(ct, t => admin.DeclareQueueAsync(queue, durable: true, QueueArguments, t));
            var latencies = new LatencyHistogram();
            var pub = await _phases.PublishAsync(target, client, queue, n, options.BacklogBodySize, persistent: true, null, row, ct, latencies);
            row["n"] = n;
            row["pubRate"] = pub.Confirmed / pub.Seconds;
            row["pubCpu"] = pub.Cpu.BrokerCpuPer(pub.Confirmed);
            row["pubLg"] = pub.Cpu.LoadgenCpuPer(pub.Confirmed);
            row["c50"] = latencies.Microseconds(0.5);
            row["c99"] = latencies.Microseconds(0.99);
            row["cmax"] = latencies.MaxMicroseconds;
            row.Notes.AddRange(pub.Cpu.BottleneckNotes().Select(x => "publishing: " + x));

            var read = await _phases.DrainAsync(target, client, queue, pub.Confirmed, null, row, ct, ConsumeArguments);
            row["readRate"] = read.Delivered / read.Seconds;
            row["readCpu"] = read.Cpu.BrokerCpuPer(read.Delivered);
            row["readLg"] = read.Cpu.LoadgenCpuPer(read.Delivered);
            row["rss"] = ProcessProbe.RssKb(target.Pid) / 1024.0;
            row.Notes.AddRange(read.Cpu.BottleneckNotes().Select(x => "consuming: " + x));
        }
        finally
        {
            await DurabilityScenarios.DeleteQueueAsync(target, client, admin, queue);
        }
    }
}
