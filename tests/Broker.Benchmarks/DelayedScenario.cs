using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.Benchmarks;

/// <summary>
/// delayed: what pending delayed messages cost a broker with the x-delayed-message exchange type (ours,
/// or RabbitMQ with the community plugin; a target without it is skipped with a note). Publishes many
/// persistent messages with a one-hour x-delay to a durable delayed exchange, then measures the RSS they
/// take and the broker's CPU while they wait. RabbitMQ.Client only: the raw client has no headers.
/// </summary>
internal sealed class DelayedScenario(Options options)
{
    private const string Exchange = "bench-delayed";
    private const string Queue = "bench-delayed-target";
    private const int DelayMs = 3_600_000;

    public Table CreateTable() => new("delayed", "delayed", $"1 producer with confirms ({options.ConfirmWindow} in flight) publishes {options.DelayedMessages:N0} " +
        $"persistent {options.BacklogBodySize}-byte messages with x-delay 1 h to a durable x-delayed-message exchange (x-delayed-type direct) bound to a " +
        $"durable queue; then the broker idles {options.DurationSeconds:0} s with them pending. RSS before: settled before the exchange is declared; " +
        "RSS pending: settled once every message is confirmed. Idle CPU: the broker's CPU over the idle window (RabbitMQ.Client only; " +
        "targets without the exchange type are skipped).",
        [
            new("n", "messages", "N0"),
            new("pubRate", "publish msg/s", "N0", Ratio: true),
            new("pubCpu", "broker CPU µs/msg publish", "N1", Ratio: true),
            new("rss0", "RSS before MB", "N1"),
            new("rss1", "RSS pending MB", "N1"),
            new("bytesPer", "RSS bytes/pending msg", "N1", Ratio: true),
            new("idleCpu", "idle broker CPU %", "N2"),
            new("early", "delivered early", "N0"),
        ]);

    public async Task RunAsync(TargetRuntime target, Row row, CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = target.Uri };
        await using var connection = await factory.CreateConnectionAsync("bench-delayed", ct);
        if (!await SupportedAsync(factory, ct))
        {
            row.Notes.Add("skipped: the target has no x-delayed-message exchange type (the plugin is not enabled)");
            return;
        }

        var rss0 = await Scenarios.SettledRssKbAsync(target.Pid, ct);
        await using var admin = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            await admin.ExchangeDeclareAsync(Exchange, "x-delayed-message", durable: true, autoDelete: false, new Dictionary<string, object?> { ["x-delayed-type"] = "direct" }, cancellationToken: ct);
            await admin.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
            await admin.QueueBindAsync(Queue, Exchange, "k", cancellationToken: ct);

            var n = options.DelayedMessages;
            var cpu0 = ProcessProbe.CpuMicroseconds(target.Pid);
            var started = Stopwatch.GetTimestamp();
            await PublishAsync(connection, n, ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu1 = ProcessProbe.CpuMicroseconds(target.Pid);
            var rss1 = await Scenarios.SettledRssKbAsync(target.Pid, ct);

            var idle0 = ProcessProbe.CpuMicroseconds(target.Pid);
            var idleStarted = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds), ct);
            var idle1 = ProcessProbe.CpuMicroseconds(target.Pid);
            var idleSeconds = Stopwatch.GetElapsedTime(idleStarted).TotalSeconds;

            row["n"] = n;
            row["pubRate"] = n / seconds;
            row["pubCpu"] = cpu1 - cpu0 is { } used ? used / n : null;
            row["rss0"] = rss0 / 1024.0;
            row["rss1"] = rss1 / 1024.0;
            row["bytesPer"] = rss1 - rss0 is { } delta ? delta * 1024.0 / n : null;
            row["idleCpu"] = idle1 - idle0 is { } idle ? idle / 1e6 / idleSeconds * 100 : null;
            row["early"] = (await admin.QueueDeclarePassiveAsync(Queue, ct)).MessageCount;
        }
        finally
        {
            // Deleting the exchange drops what it holds (as the plugin's pending messages route nowhere).
            await admin.ExchangeDeleteAsync(Exchange, cancellationToken: ct);
            await admin.QueueDeleteAsync(Queue, cancellationToken: ct);
        }
    }

    private async Task PublishAsync(IConnection connection, long n, CancellationToken ct)
    {
        var window = options.ConfirmWindow;
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null), ct);
        var properties = new BasicProperties
        {
            DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?> { ["x-delay"] = DelayMs },
        };
        var body = new byte[options.BacklogBodySize];
        var pending = new List<Task>(window);
        for (long i = 0; i < n; i++)
        {
            pending.Add(channel.BasicPublishAsync(Exchange, "k", mandatory: false, properties, body, ct).AsTask());
            if (pending.Count >= window)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>Declares a throwaway delayed exchange on its own connection: a broker without the type closes it with 503.</summary>
    private static async Task<bool> SupportedAsync(ConnectionFactory factory, CancellationToken ct)
    {
        await using var probe = await factory.CreateConnectionAsync("bench-delayed-probe", ct);
        await using var channel = await probe.CreateChannelAsync(cancellationToken: ct);
        var name = $"bench-delayed-probe-{Scenarios.NewId()}";
        try
        {
            await channel.ExchangeDeclareAsync(name, "x-delayed-message", durable: false, autoDelete: false, new Dictionary<string, object?> { ["x-delayed-type"] = "direct" }, cancellationToken: ct);
            await channel.ExchangeDeleteAsync(name, cancellationToken: ct);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 503)
        {
            return false;
        }
    }
}
