using System.Collections.Concurrent;
using System.Diagnostics;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// The broker is killed with SIGKILL at random moments while publishers with confirms are busy; after
/// each restart the queue must hold every confirmed persistent message exactly once, in each publisher's
/// order, and nothing that cannot be there (transient messages, acked ones whose ack was proven durable).
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const string Queue = "crash-safety";
    private const int Seed = 20261128;
    private const int Rounds = 8;
    private const int Publishers = 4;
    private const int Window = 48;
    private const string SequenceHeader = "x-dotnet-pub-seq-no";

    [Fact]
    public async Task Confirmed_persistent_messages_survive_repeated_kill_9()
    {
        using var context = new ProcessTestContext(output, "crash-safety");
        await context.RunAsync(async () =>
        {
            var random = new Random(Seed);
            var model = new QueueModel();
            var totals = new Totals();
            for (var round = 1; round <= Rounds; round++)
            {
                var broker = await context.StartBrokerAsync();
                var recovered = broker.Recovered;
                await using (var connection = await Amqp.ConnectAsync(broker, $"round-{round}"))
                {
                    await using (var setup = await connection.CreateChannelAsync())
                    {
                        await setup.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
                    }

                    var found = await VerifyAsync(context, connection, model, round, totals);
                    await AckSomeAsync(connection, model, found, random);
                    var published = await PublishUntilKilledAsync(context, broker, connection, model, round, random, totals);
                    context.Report($"round {round}: recovered {recovered?.Messages} messages in {recovered?.Milliseconds} ms; "
                        + $"queue had {found.Count}, acked {model.Acked.Count} of them; published {published.Published} "
                        + $"({published.Transient} transient), confirmed {published.Confirmed}, unconfirmed {published.Published - published.Confirmed}; "
                        + $"consumed {published.Delivered} and acked {published.Acked} meanwhile; killed after {published.KillDelay} ms");
                }
            }

            // After the last crash: everything confirmed is there; then drain it all and check that a
            // graceful restart keeps the queue empty.
            var last = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(last, "final"))
            {
                var found = await VerifyAsync(context, connection, model, Rounds + 1, totals);
                await using var channel = await connection.CreateChannelAsync();
                var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0);
                var all = await consumer.TakeAsync(found.Count, Amqp.Patience);
                if (all.Count > 0)
                {
                    await channel.BasicAckAsync(all[^1].DeliveryTag, multiple: true);
                }

                context.Check(await Amqp.MessageCountAsync(channel, Queue) == 0, "the queue is not empty after acking everything");
            }

            await last.StopGracefullyAsync();
            var after = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(after, "after-drain"))
            await using (var channel = await connection.CreateChannelAsync())
            {
                var count = await Amqp.MessageCountAsync(channel, Queue);
                var stray = await Amqp.GetAsync(channel, Queue);
                context.Check(count == 0 && stray is null,
                    $"after acking everything and a graceful restart the queue holds {count} messages (first: {(stray is null ? "none" : TestMessages.Describe(stray.Body))})");
            }

            await after.StopGracefullyAsync();
            context.Report($"total: published {totals.Published} ({totals.Transient} transient), confirmed {totals.Confirmed} "
                + $"(of which persistent {totals.ConfirmedPersistent}), unconfirmed persistent {totals.UnconfirmedPersistent} "
                + $"of which found after the crash {totals.UnconfirmedFound} and lost {totals.UnconfirmedPersistent - totals.UnconfirmedFound}; "
                + $"acked messages that came back after a crash: {totals.AckedResurrected}; "
                + $"redelivered flags: {totals.RedeliveredOfDelivered}/{totals.PreviouslyDelivered} of previously delivered, "
                + $"{totals.RedeliveredOfNew}/{totals.NeverDelivered} of never delivered");
        });
    }

    /// <summary>
    /// Reads every message in the queue (without acking) and checks it against the model: every expected id
    /// present, nothing else but the ids that may be there, no id twice, no corrupted body, each publisher's
    /// messages in publish order. Returns the deliveries in queue order; closing the channel puts them back.
    /// </summary>
    private static async Task<List<Delivery>> VerifyAsync(ProcessTestContext context, IConnection connection, QueueModel model, int round, Totals totals)
    {
        await using var channel = await connection.CreateChannelAsync();
        var count = (int)await Amqp.MessageCountAsync(channel, Queue);
        var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0);
        var deliveries = await consumer.TakeAsync(count, Amqp.Patience);
        await using (var other = await connection.CreateChannelAsync())
        {
            var extra = await Amqp.GetAsync(other, Queue);
            context.Check(extra is null, $"round {round}: queue.declare reported {count} messages but there is at least one more: {(extra is null ? "" : TestMessages.Describe(extra.Body))}");
        }

        var seen = new HashSet<long>();
        var lastSequence = new Dictionary<(int Round, int Publisher), long>();
        var problems = new List<string>();
        foreach (var delivery in deliveries)
        {
            if (delivery.Id is not { } id)
            {
                problems.Add($"corrupted or foreign body served: {TestMessages.Describe(delivery.Body)}");
                continue;
            }

            if (!seen.Add(id))
            {
                problems.Add($"id {id} delivered twice");
                continue;
            }

            if (!model.Messages.TryGetValue(id, out var info))
            {
                problems.Add($"id {id} was never published");
                continue;
            }

            if (!model.Expected.Contains(id) && !model.Maybe.Contains(id))
            {
                problems.Add($"id {id} must not be in the queue: {model.Why(id)}");
            }

            if (model.Maybe.Contains(id))
            {
                if (model.Acked.Contains(id))
                {
                    totals.AckedResurrected++;
                }
                else if (!info.Confirmed && info.Persistent)
                {
                    totals.UnconfirmedFound++;
                }
            }

            if (model.EverDelivered.Contains(id))
            {
                totals.PreviouslyDelivered++;
                totals.RedeliveredOfDelivered += delivery.Redelivered ? 1 : 0;
            }
            else
            {
                totals.NeverDelivered++;
                totals.RedeliveredOfNew += delivery.Redelivered ? 1 : 0;
            }

            if (delivery.Properties.Headers?.TryGetValue(SequenceHeader, out var value) == true && value is long sequence)
            {
                var key = (info.Round, info.Publisher);
                if (lastSequence.TryGetValue(key, out var previous) && sequence <= previous)
                {
                    problems.Add($"id {id} (round {info.Round}, publisher {info.Publisher}, publish #{sequence}) comes after publish #{previous} of the same channel: out of order");
                }

                lastSequence[key] = sequence;
            }
        }

        foreach (var id in model.Maybe.Where(id => !seen.Contains(id)))
        {
            model.Gone[id] = model.Acked.Contains(id) ? $"acked, and gone at restart {round}" : $"unconfirmed, and missing at restart {round}";
        }

        var missing = model.Expected.Where(id => !seen.Contains(id)).Order().ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} messages that must be in the queue are missing, e.g. "
                + string.Join(", ", missing.Take(10).Select(id => $"{id} ({model.Why(id)})")));
        }

        var ackedBack = model.Acked.Count(seen.Contains);
        var unconfirmed = model.Maybe.Where(id => !model.Acked.Contains(id)).ToList();
        context.Report($"restart {round}: {deliveries.Count} messages; of {model.Acked.Count} acked before the crash {ackedBack} came back; "
            + $"of {unconfirmed.Count} unconfirmed {unconfirmed.Count(seen.Contains)} are there");
        context.Check(problems.Count == 0, $"round {round}: the queue ({deliveries.Count} messages) does not match the model:\n  " + string.Join("\n  ", problems.Take(40)));

        // What is there now is what must stay (until acked).
        model.Expected.Clear();
        model.Expected.UnionWith(seen);
        model.Maybe.Clear();
        model.Acked.Clear();
        model.EverDelivered.UnionWith(seen);
        return deliveries;
    }

    /// <summary>Consumes the queue's head (a random share), acks it, waits for a round trip, and requeues the rest.</summary>
    private static async Task AckSomeAsync(IConnection connection, QueueModel model, List<Delivery> queue, Random random)
    {
        var toAck = (int)(queue.Count * (0.3 + (0.4 * random.NextDouble())));
        if (toAck == 0)
        {
            return;
        }

        await using var channel = await connection.CreateChannelAsync();
        var consumer = await QueueConsumer.StartAsync(channel, Queue, prefetch: 0);
        var head = await consumer.TakeAsync(toAck, Amqp.Patience);
        await channel.BasicAckAsync(head[^1].DeliveryTag, multiple: true);
        _ = await Amqp.MessageCountAsync(channel, Queue);
        foreach (var delivery in head)
        {
            var id = delivery.Id ?? throw new InvalidOperationException("unverified body");
            model.Expected.Remove(id);
            model.Maybe.Add(id);
            model.Acked.Add(id);
        }

        // Closing the channel requeues what it got beyond the head, in place.
        await channel.CloseAsync();
    }

    private static async Task<PublishOutcome> PublishUntilKilledAsync(ProcessTestContext context, BrokerProcess broker, IConnection connection, QueueModel model, int round, Random random, Totals totals)
    {
        var confirmed = new ConcurrentDictionary<long, bool>();
        var published = new ConcurrentDictionary<long, MessageInfo>();
        var seeds = Enumerable.Range(0, Publishers).Select(_ => random.Next()).ToArray();
        var killDelay = random.Next(50, 801);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abandon = new CancellationTokenSource();
        var publishers = Enumerable.Range(0, Publishers)
            .Select(p => Task.Run(() => PublishAsync(connection, model, round, p, new Random(seeds[p]), published, confirmed, started, abandon.Token)))
            .ToArray();
        var acked = new ConcurrentDictionary<long, bool>();
        var delivered = new ConcurrentDictionary<long, bool>();
        var damaged = new ConcurrentQueue<string>();
        var ackLimit = random.Next(0, 3000);
        var consumer = Task.Run(() => ConsumeAndAckAsync(connection, ackLimit, delivered, acked, damaged, abandon.Token));
        var killer = Task.Run(async () =>
        {
            await started.Task;
            await Task.Delay(killDelay);
            broker.Kill();
        });

        await killer;

        // Confirms the broker sent before it died are still read from the socket until the client sees
        // the connection closed; whatever is outstanding after that was never confirmed.
        var closed = Stopwatch.StartNew();
        while (connection.IsOpen && closed.Elapsed < Amqp.Patience)
        {
            await Task.Delay(20);
        }

        await Task.Delay(200);
        await abandon.CancelAsync();
        var all = Task.WhenAll([.. publishers, consumer]);
        if (await Task.WhenAny(all, Task.Delay(Amqp.Patience)) != all)
        {
            throw context.Failure($"round {round}: publishers did not notice the broker's death within {Amqp.Patience.TotalSeconds} s");
        }

        await all;
        context.Check(damaged.IsEmpty, $"round {round}: the consumer got damaged bodies: {string.Join("; ", damaged.Take(5))}");
        var outcome = new PublishOutcome(published.Count, published.Values.Count(m => !m.Persistent), confirmed.Count, killDelay, delivered.Count, acked.Count);
        foreach (var (id, info) in published)
        {
            var isConfirmed = confirmed.ContainsKey(id);
            var message = info with { Confirmed = isConfirmed };
            model.Messages[id] = message;
            totals.Published++;
            totals.Transient += info.Persistent ? 0 : 1;
            totals.Confirmed += isConfirmed ? 1 : 0;
            if (!info.Persistent)
            {
                continue;
            }

            if (isConfirmed)
            {
                totals.ConfirmedPersistent++;
                model.Expected.Add(id);
            }
            else
            {
                totals.UnconfirmedPersistent++;
                model.Maybe.Add(id);
            }
        }

        // Acks sent before the kill may or may not have reached the disk (or the broker).
        foreach (var id in acked.Keys)
        {
            if (model.Expected.Remove(id) || model.Maybe.Contains(id))
            {
                model.Maybe.Add(id);
                model.Acked.Add(id);
            }
        }

        model.EverDelivered.UnionWith(delivered.Keys);
        return outcome;
    }

    /// <summary>One publisher channel: keeps up to <see cref="Window"/> confirm-tracked publishes in flight until the connection dies.</summary>
    private static async Task PublishAsync(IConnection connection, QueueModel model, int round, int publisher, Random random,
        ConcurrentDictionary<long, MessageInfo> published, ConcurrentDictionary<long, bool> confirmed, TaskCompletionSource started, CancellationToken abandon)
    {
        IChannel channel;
        try
        {
            channel = await connection.CreateChannelAsync(Amqp.Confirming);
        }
        catch (Exception)
        {
            started.TrySetResult();
            return;
        }

        using var window = new SemaphoreSlim(Window);
        var inFlight = new List<Task>();
        started.TrySetResult();
        try
        {
            while (channel.IsOpen)
            {
                await window.WaitAsync(abandon);

                var id = model.NextId();
                var persistent = random.Next(10) != 0;
                var body = TestMessages.Body(id, random.Next(64, 3000));
                published[id] = new MessageInfo(round, publisher, persistent, Confirmed: false);
                var properties = persistent ? Amqp.Persistent() : Amqp.Transient();
                var publish = channel.BasicPublishAsync("", Queue, mandatory: false, properties, body, abandon).AsTask();
                inFlight.Add(publish.ContinueWith(
                    task =>
                    {
                        if (task.IsCompletedSuccessfully)
                        {
                            confirmed[id] = true;
                        }

                        window.Release();
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default));
            }
        }
        catch (Exception)
        {
            // The broker died under the publish: expected.
        }

        try
        {
            await Task.WhenAll(inFlight);
        }
        catch (Exception)
        {
            // Failed publishes are the unconfirmed ones.
        }

        try
        {
            channel.Dispose();
        }
        catch (Exception)
        {
            // The connection is gone.
        }
    }

    private sealed record MessageInfo(int Round, int Publisher, bool Persistent, bool Confirmed);

    /// <summary>
    /// Consumes the queue's head while the publishers run, acking each message (the ack is recorded
    /// before it is sent) up to <paramref name="limit"/>; then it holds up to its prefetch unacked.
    /// </summary>
    private static async Task ConsumeAndAckAsync(IConnection connection, int limit, ConcurrentDictionary<long, bool> delivered, ConcurrentDictionary<long, bool> acked,
        ConcurrentQueue<string> damaged, CancellationToken abandon)
    {
        try
        {
            var channel = await connection.CreateChannelAsync();
            await channel.BasicQosAsync(0, 50, global: false);
            var handler = new AsyncEventingBasicConsumer(channel);
            handler.ReceivedAsync += async (_, e) =>
            {
                if (!TestMessages.TryRead(e.Body.Span, out var id))
                {
                    damaged.Enqueue(TestMessages.Describe(e.Body.Span));
                    return;
                }

                delivered[id] = true;
                if (acked.Count >= limit)
                {
                    return;
                }

                acked[id] = true;
                try
                {
                    await channel.BasicAckAsync(e.DeliveryTag, multiple: false);
                }
                catch (Exception)
                {
                    // The broker died.
                }
            };
            await channel.BasicConsumeAsync(Queue, autoAck: false, handler);
            await Task.Delay(Timeout.Infinite, abandon);
        }
        catch (Exception)
        {
            // The broker died, or the round is over.
        }
    }

    private sealed record PublishOutcome(int Published, int Transient, int Confirmed, int KillDelay, int Delivered, int Acked);

    private sealed class Totals
    {
        public long Published;
        public long Transient;
        public long Confirmed;
        public long ConfirmedPersistent;
        public long UnconfirmedPersistent;
        public long UnconfirmedFound;
        public long AckedResurrected;
        public long PreviouslyDelivered;
        public long RedeliveredOfDelivered;
        public long NeverDelivered;
        public long RedeliveredOfNew;
    }

    /// <summary>What the queue must hold and may hold, by message id.</summary>
    private sealed class QueueModel
    {
        private long _nextId;

        public ConcurrentDictionary<long, MessageInfo> Messages { get; } = new();

        /// <summary>Must be in the queue after the next restart.</summary>
        public HashSet<long> Expected { get; } = [];

        /// <summary>May be in the queue after the next restart (unconfirmed, or acked without proof the ack is on disk).</summary>
        public HashSet<long> Maybe { get; } = [];

        public HashSet<long> Acked { get; } = [];

        public HashSet<long> EverDelivered { get; } = [];

        /// <summary>Why an id that was published is no longer expected.</summary>
        public Dictionary<long, string> Gone { get; } = [];

        public long NextId() => Interlocked.Increment(ref _nextId);

        public string Why(long id) => Messages.TryGetValue(id, out var info)
            ? $"round {info.Round}, publisher {info.Publisher}, {(info.Persistent ? "persistent" : "transient")}, {(info.Confirmed ? "confirmed" : "unconfirmed")}"
                + (EverDelivered.Contains(id) ? ", was in the queue at an earlier restart" : "")
                + (Gone.TryGetValue(id, out var gone) ? ", " + gone : "")
            : "never published";
    }
}
