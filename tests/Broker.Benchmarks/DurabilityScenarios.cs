using System.Diagnostics;
using System.Globalization;
using Broker.Benchmarks.Clients;

namespace Broker.Benchmarks;

/// <summary>
/// The scenarios with long backlogs: backlog (memory per queued message, publish and drain rates),
/// recovery (restart with a full durable queue) and backlog10m (bounded memory with 10 million
/// messages). Each publishes an exact number of messages with publisher confirms in a window, so the
/// count the broker reports can be checked.
/// </summary>
internal sealed class DurabilityScenarios(Options options)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    public Table? CreateTable(string scenario) => scenario switch
    {
        "backlog" => new Table(scenario, "backlog", $"1 producer with confirms ({options.ConfirmWindow} in flight) publishes {options.BacklogMessages:N0} " +
            $"persistent {options.BacklogBodySize}-byte messages to 1 durable queue with no consumer; then 1 consumer (prefetch {options.Prefetch}, " +
            $"ack multiple every {options.AckEvery}) drains it. RSS before: settled before the queue is declared; RSS after: settled (at most 20 s) " +
            "once every message is confirmed. Bytes/queued msg = (after - before) / messages. CPU per message is per confirmed (publish) " +
            "and per delivered (drain) message.",
            [
                new("n", "messages", "N0"),
                new("pubRate", "publish msg/s", "N0", Ratio: true),
                new("pubCpu", "broker CPU µs/msg publish", "N1", Ratio: true),
                new("rss0", "RSS before MB", "N1"),
                new("rss1", "RSS after MB", "N1"),
                new("bytesPer", "RSS bytes/queued msg", "N1", Ratio: true),
                new("rssPeak", "peak RSS MB", "N1"),
                new("drainRate", "drain msg/s", "N0", Ratio: true),
                new("drainCpu", "broker CPU µs/msg drain", "N1", Ratio: true),
                new("rss2", "RSS drained MB", "N1"),
            ]),
        "recovery" => new Table(scenario, "recovery", $"{options.BacklogMessages:N0} persistent {options.BacklogBodySize}-byte messages published with confirms " +
            "to 1 durable queue, then the broker is restarted: start= targets get SIGTERM (kill -9 in the \"(kill -9)\" rows) and are started again " +
            "on the same data; restart= targets run their command. Times count from the signal (or from launching the restart command): " +
            "down = process exited (or listener closed), handshake = AMQP connection.open-ok, ready = queue.declare passive reports every message " +
            "(polled every 25 ms). Then a consumer drains the queue, which checks that every recovered message is deliverable.",
            [
                new("n", "messages", "N0"),
                new("pubRate", "publish msg/s", "N0"),
                new("down", "down s", "N2"),
                new("handshake", "to handshake s", "N2", Ratio: true),
                new("ready", "to all messages s", "N2", Ratio: true),
                new("downReady", "down to all messages s", "N2"),
                new("cpu", "broker CPU s until ready", "N2"),
                new("rss", "RSS ready MB", "N1"),
                new("drainRate", "drain msg/s", "N0", Ratio: true),
            ]),
        "backlog10m" => new Table(scenario, "backlog10m", $"{options.Backlog10mMessages:N0} messages " +
            (options.Backlog10mPersistent
                ? $"persistent {options.BacklogBodySize}-byte to 1 durable queue"
                : "transient 16-byte to 1 non-durable queue") +
            $", published with confirms ({options.ConfirmWindow} in flight) with no consumer, broker RSS sampled every second; " +
            $"the bound is {options.RssBoundMb:N0} MB (--rss-bound-mb). Then 1 consumer drains it and the deliveries are counted.",
            [
                new("n", "messages", "N0"),
                new("queued", "queued (declare-ok)", "N0"),
                new("pubRate", "publish msg/s", "N0", Ratio: true),
                new("pubCpu", "broker CPU µs/msg publish", "N1", Ratio: true),
                new("rss0", "RSS before MB", "N1"),
                new("rssMax", "max RSS MB", "N1", Ratio: true),
                new("bound", "under bound", "N0"),
                new("rss1", "RSS full MB", "N1"),
                new("drainRate", "drain msg/s", "N0", Ratio: true),
                new("delivered", "delivered", "N0"),
            ]),
        _ => null,
    };

    public async Task RunAsync(string scenario, TargetRuntime target, ClientKind client, Row row, bool crash, CancellationToken ct)
    {
        switch (scenario)
        {
            case "backlog":
                await RunBacklogAsync(target, client, row, ct);
                break;
            case "recovery":
                await RunRecoveryAsync(target, client, row, crash, ct);
                break;
            case "backlog10m":
                await RunBacklog10mAsync(target, client, row, ct);
                break;
            default:
                throw new ArgumentException($"unknown scenario {scenario}");
        }
    }

    private static void Progress(string line) => Console.Error.WriteLine($"    {DateTime.Now:HH:mm:ss} {line}");

    private async Task RunBacklogAsync(TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        var queue = $"bench-backlog-{Scenarios.NewId()}";
        var n = options.BacklogMessages;
        var rss0 = await Scenarios.SettledRssKbAsync(target.Pid, ct);
        await using var admin = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
        try
        {
            await Admin(ct, t => admin.DeclareQueueAsync(queue, durable: true, null, t));
            using var sampler = new RssSampler(target.Pid);
            var pub = await PublishAsync(target, client, queue, n, options.BacklogBodySize, persistent: true, sampler, row, ct);
            sampler.Stop();
            var rss1 = await Scenarios.SettledRssKbAsync(target.Pid, ct);
            var queued = await Admin(ct, t => admin.QueueMessageCountAsync(queue, t));
            row["n"] = n;
            row["pubRate"] = pub.Confirmed / pub.Seconds;
            row["pubCpu"] = pub.Cpu.BrokerCpuPer(pub.Confirmed);
            row["rss0"] = rss0 / 1024.0;
            row["rss1"] = rss1 / 1024.0;
            row["bytesPer"] = rss1 - rss0 is { } delta && pub.Confirmed > 0 ? delta * 1024.0 / pub.Confirmed : null;
            row["rssPeak"] = sampler.MaxKb / 1024.0;
            NoteQueued(row, queued, pub.Confirmed);
            row.Notes.AddRange(pub.Cpu.BottleneckNotes().Select(x => "publishing: " + x));

            var drain = await DrainAsync(target, client, queue, queued, admin, row, ct);
            row["drainRate"] = drain.Delivered / drain.Seconds;
            row["drainCpu"] = drain.Cpu.BrokerCpuPer(drain.Delivered);
            row["rss2"] = ProcessProbe.RssKb(target.Pid) / 1024.0;
            row.Notes.AddRange(drain.Cpu.BottleneckNotes().Select(x => "draining: " + x));
        }
        finally
        {
            await DeleteQueueAsync(target, client, admin, queue);
        }
    }

    private async Task RunRecoveryAsync(TargetRuntime target, ClientKind client, Row row, bool crash, CancellationToken ct)
    {
        if (!target.CanRestart)
        {
            row.Notes.Add("skipped: the target has neither start= nor restart=, so the tool cannot restart it");
            return;
        }

        if (crash && target.Spec.Start == null)
        {
            row.Notes.Add("skipped: kill -9 only for start= targets");
            return;
        }

        var queue = $"bench-recovery-{Scenarios.NewId()}";
        var n = options.BacklogMessages;
        IBenchConnection? admin = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
        try
        {
            var setup = admin;
            await Admin(ct, t => setup.DeclareQueueAsync(queue, durable: true, null, t));
            var pub = await PublishAsync(target, client, queue, n, options.BacklogBodySize, persistent: true, null, row, ct);
            var before = await Admin(ct, t => setup.QueueMessageCountAsync(queue, t));
            row["n"] = n;
            row["pubRate"] = pub.Confirmed / pub.Seconds;
            NoteQueued(row, before, pub.Confirmed);
            admin = null;
            await setup.DisposeAsync();

            var logOffset = target.LogLength();
            Progress($"restarting {target.Name}{(crash ? " with kill -9" : "")} with {before:N0} messages queued");
            var r = await target.RestartAsync(crash, options.PhaseTimeoutSeconds, ct);
            row.Notes.AddRange(r.Notes);
            row["down"] = r.DownSeconds;
            row["handshake"] = r.HandshakeSeconds;

            // Poll the queue's count on fresh connections: until recovered the queue may be missing
            // (404 closes the channel) or the broker may refuse connections.
            long last = -1;
            var lastChange = Stopwatch.GetTimestamp();
            double? ready = null;
            while (r.Since() < options.PhaseTimeoutSeconds)
            {
                try
                {
                    var poll = admin ??= await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
                    var count = await Admin(ct, t => poll.QueueMessageCountAsync(queue, t));
                    if (count != last)
                    {
                        last = count;
                        lastChange = Stopwatch.GetTimestamp();
                    }

                    if (count >= before)
                    {
                        ready = r.Since();
                        break;
                    }

                    if (Stopwatch.GetTimestamp() - lastChange > 30 * Stopwatch.Frequency)
                    {
                        row.Notes.Add($"**the queue stayed at {count:N0} of {before:N0} messages for 30 s after the restart**");
                        break;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    if (admin != null)
                    {
                        await admin.DisposeAsync();
                        admin = null;
                    }
                }

                await Task.Delay(25, ct);
            }

            row["ready"] = ready;
            row["downReady"] = ready - r.DownSeconds;
            row["rss"] = ProcessProbe.RssKb(target.Pid) / 1024.0;
            row["cpu"] = (r.CpuAtOriginUs is { } c0 ? ProcessProbe.CpuMicroseconds(target.Pid) - c0 : ProcessProbe.CpuMicroseconds(target.Pid)) / 1e6;
            if (r.CommandSeconds is { } cmd)
            {
                row.Notes.Add($"restart command ran {cmd:0.00} s");
            }

            if (ready == null)
            {
                row.Notes.Add(last >= 0 ? $"**not ready: {last:N0} of {before:N0} messages**" : "**the queue was not found after the restart**");
            }

            row.Notes.AddRange(BrokerLogNotes(target.LogSince(logOffset)));
            if (ready != null && admin != null)
            {
                var drain = await DrainAsync(target, client, queue, last, admin, row, ct);
                row["drainRate"] = drain.Delivered / drain.Seconds;
            }
        }
        finally
        {
            await DeleteQueueAsync(target, client, admin, queue);
            if (admin != null)
            {
                await admin.DisposeAsync();
            }
        }
    }

    /// <summary>Our broker's own lines about stopping and recovering, plus warnings and errors it logged (at most 3).</summary>
    private static IEnumerable<string> BrokerLogNotes(List<string> lines)
    {
        foreach (var line in lines)
        {
            if (line.Contains("store stopped after", StringComparison.Ordinal) || (line.Contains("recovered", StringComparison.Ordinal) && line.Contains(" ms", StringComparison.Ordinal)))
            {
                yield return "log: " + Shorten(line);
            }
        }

        var bad = lines.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("error", StringComparison.OrdinalIgnoreCase)
            || l.Contains("exception", StringComparison.OrdinalIgnoreCase) || l.Contains("warn", StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var line in bad.Take(3))
        {
            yield return "**log**: " + Shorten(line);
        }

        if (bad.Count > 3)
        {
            yield return $"**{bad.Count - 3} more warning/error lines in the log**";
        }

        static string Shorten(string s)
        {
            var at = s.IndexOf(": ", StringComparison.Ordinal);
            s = at is > 0 and < 60 && s.Length > at + 2 ? s[(at + 2)..] : s;
            return s.Length > 200 ? s[..200] + "..." : s;
        }
    }

    private async Task RunBacklog10mAsync(TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        var persistent = options.Backlog10mPersistent;
        var bodySize = persistent ? options.BacklogBodySize : 16;
        var queue = $"bench-backlog10m-{Scenarios.NewId()}";
        var n = options.Backlog10mMessages;
        var rss0 = await Scenarios.SettledRssKbAsync(target.Pid, ct);
        await using var admin = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
        try
        {
            await Admin(ct, t => admin.DeclareQueueAsync(queue, durable: persistent, null, t));
            using var sampler = new RssSampler(target.Pid);
            var pub = await PublishAsync(target, client, queue, n, bodySize, persistent, sampler, row, ct);
            sampler.Stop();
            var rss1 = ProcessProbe.RssKb(target.Pid);
            var queued = await Admin(ct, t => admin.QueueMessageCountAsync(queue, t));
            row["n"] = n;
            row["queued"] = queued;
            row["pubRate"] = pub.Confirmed / pub.Seconds;
            row["pubCpu"] = pub.Cpu.BrokerCpuPer(pub.Confirmed);
            row["rss0"] = rss0 / 1024.0;
            row["rssMax"] = sampler.MaxKb / 1024.0;
            row["rss1"] = rss1 / 1024.0;
            if (sampler.MaxKb is { } max)
            {
                row.Texts["bound"] = max <= options.RssBoundMb * 1024L ? $"yes (≤ {options.RssBoundMb} MB)" : $"**NO** (> {options.RssBoundMb} MB)";
            }

            NoteQueued(row, queued, pub.Confirmed);
            row.Notes.Add("RSS MB by messages confirmed: " + sampler.Profile(n));
            row.Notes.AddRange(pub.Cpu.BottleneckNotes().Select(x => "publishing: " + x));

            var drain = await DrainAsync(target, client, queue, queued, admin, row, ct);
            row["drainRate"] = drain.Delivered / drain.Seconds;
            row["delivered"] = drain.Delivered;
        }
        finally
        {
            await DeleteQueueAsync(target, client, admin, queue);
        }
    }

    private static void NoteQueued(Row row, long queued, long confirmed)
    {
        if (queued != confirmed)
        {
            row.Notes.Add($"**the queue reports {queued:N0} messages after {confirmed:N0} were confirmed**");
        }
    }

    internal static async Task<T> Admin<T>(CancellationToken ct, Func<CancellationToken, Task<T>> call)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Scenarios.AdminTimeout);
        return await call(cts.Token);
    }

    internal static async Task Admin(CancellationToken ct, Func<CancellationToken, Task> call)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Scenarios.AdminTimeout);
        await call(cts.Token);
    }

    /// <summary>Deletes the queue on the admin connection, or on a new one when that has failed (best effort, 2 minutes at most).</summary>
    internal static async Task DeleteQueueAsync(TargetRuntime target, ClientKind client, IBenchConnection? admin, string queue)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            if (admin is { Failure: null })
            {
                try
                {
                    await admin.DeleteQueueAsync(queue, cts.Token);
                    return;
                }
                catch (Exception e) when (e is InvalidOperationException or IOException)
                {
                }
            }

            await using var fresh = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-cleanup", cts.Token);
            await fresh.DeleteQueueAsync(queue, cts.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            Progress($"could not delete {queue}: {e.Message}");
        }
    }

    internal sealed record PhaseResult(long Confirmed, long Delivered, double Seconds, Window Cpu);

    /// <summary>
    /// Publishes exactly count messages with confirms (a window of --confirm-window) and waits for
    /// every confirm; stops early at --phase-timeout. The CPU window spans first publish to last confirm.
    /// With a histogram, records each message's publish-to-confirm time in it.
    /// </summary>
    internal async Task<PhaseResult> PublishAsync(TargetRuntime target, ClientKind client, string queue, long count, int bodySize, bool persistent,
        RssSampler? sampler, Row row, CancellationToken ct, LatencyHistogram? confirmLatencies = null)
    {
        var tracker = new ConfirmTracker(options.ConfirmWindow);
        tracker.RecordLatencies(confirmLatencies);
        await using var connection = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-producer", ct);
        IBenchPublisher publisher;
        using (var setup = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            setup.CancelAfter(Scenarios.AdminTimeout);
            publisher = await connection.CreatePublisherAsync("", queue, bodySize, persistent, tracker, setup.Token);
        }

        var batch = Math.Clamp(256 * 1024 / (bodySize + 100), 1, 500);
        long sent = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var s0 = Sample.Take(target.Pid);
        sampler?.Start(() => tracker.Acked);
        var producer = Task.Run(async () =>
        {
            try
            {
                while (Volatile.Read(ref sent) < count)
                {
                    var n = await tracker.AcquireAsync((int)Math.Min(batch, count - sent), stop.Token);
                    await publisher.PublishAsync(n, stop.Token);
                    Volatile.Write(ref sent, sent + n);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        var next = Stopwatch.GetTimestamp() + (long)(ProgressEvery.TotalSeconds * Stopwatch.Frequency);
        long lastResolved = -1;
        var lastChange = Stopwatch.GetTimestamp();
        while (tracker.Resolved < count)
        {
            Scenarios.ThrowIfFailed([connection]);
            if (producer.IsFaulted)
            {
                await producer;
            }

            var now = Stopwatch.GetTimestamp();
            var elapsed = (now - s0.Timestamp) / (double)Stopwatch.Frequency;
            if (tracker.Resolved != lastResolved)
            {
                lastResolved = tracker.Resolved;
                lastChange = now;
            }

            if (elapsed > options.PhaseTimeoutSeconds || now - lastChange > 60 * Stopwatch.Frequency)
            {
                row.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"**publishing stopped after {elapsed:0} s ({(elapsed > options.PhaseTimeoutSeconds ? "--phase-timeout" : "no confirm for 60 s")}): " +
                    $"{tracker.Acked:N0} of {count:N0} confirmed**"));
                break;
            }

            if (now > next)
            {
                next = now + (long)(ProgressEvery.TotalSeconds * Stopwatch.Frequency);
                Progress(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name}: {tracker.Acked:N0} of {count:N0} confirmed ({tracker.Acked / elapsed:N0} msg/s), broker RSS {ProcessProbe.RssKb(target.Pid) / 1024.0:N0} MB"));
            }

            await Task.Delay(10, ct);
        }

        var s1 = Sample.Take(target.Pid);
        await stop.CancelAsync();
        await producer;
        if (tracker.Nacked > 0)
        {
            row.Notes.Add($"**{tracker.Nacked:N0} nacked**");
        }

        var w = Window.Between(s0, s1);
        Progress(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: {tracker.Acked:N0} confirmed in {w.Seconds:0.0} s"));
        return new PhaseResult(tracker.Acked, 0, w.Seconds, w);
    }

    /// <summary>
    /// Consumes until expected messages were delivered (prefetch --prefetch, ack multiple every
    /// --ack-every), then checks on the admin connection, with the consumer still attached, that no
    /// message is left ready (not for a stream, which keeps its messages: give consumeArguments and no admin).
    /// Stops early at --phase-timeout or after 30 s without a delivery.
    /// </summary>
    internal async Task<PhaseResult> DrainAsync(TargetRuntime target, ClientKind client, string queue, long expected, IBenchConnection? admin, Row row,
        CancellationToken ct, IDictionary<string, object?>? consumeArguments = null)
    {
        var counter = new ConsumerCounter();
        await using var consumer = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-consumer", ct);
        var s0 = Sample.Take(target.Pid);
        using (var setup = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            setup.CancelAfter(Scenarios.AdminTimeout);
            await consumer.StartConsumerAsync(queue, (ushort)options.Prefetch, options.AckEvery, counter, null, consumeArguments, setup.Token);
        }

        var next = Stopwatch.GetTimestamp() + (long)(ProgressEvery.TotalSeconds * Stopwatch.Frequency);
        long last = 0;
        var lastChange = Stopwatch.GetTimestamp();
        while (counter.Delivered < expected)
        {
            Scenarios.ThrowIfFailed([consumer]);
            var now = Stopwatch.GetTimestamp();
            var elapsed = (now - s0.Timestamp) / (double)Stopwatch.Frequency;
            if (counter.Delivered != last)
            {
                last = counter.Delivered;
                lastChange = now;
            }

            if (elapsed > options.PhaseTimeoutSeconds || now - lastChange > 30 * Stopwatch.Frequency)
            {
                row.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"**draining stopped after {elapsed:0} s ({(elapsed > options.PhaseTimeoutSeconds ? "--phase-timeout" : "no delivery for 30 s")}): " +
                    $"{counter.Delivered:N0} of {expected:N0} delivered**"));
                break;
            }

            if (now > next)
            {
                next = now + (long)(ProgressEvery.TotalSeconds * Stopwatch.Frequency);
                Progress(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name}: {counter.Delivered:N0} of {expected:N0} delivered ({counter.Delivered / elapsed:N0} msg/s), broker RSS {ProcessProbe.RssKb(target.Pid) / 1024.0:N0} MB"));
            }

            await Task.Delay(10, ct);
        }

        var s1 = Sample.Take(target.Pid);
        var delivered = counter.Delivered;
        if (admin != null)
        {
            try
            {
                var left = await Admin(ct, t => admin.QueueMessageCountAsync(queue, t));
                if (left > 0)
                {
                    row.Notes.Add($"**{left:N0} messages still ready after {delivered:N0} were delivered**");
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
            {
                row.Notes.Add($"could not read the count after draining: {e.Message}");
            }
        }

        if (delivered > expected)
        {
            row.Notes.Add($"**{delivered:N0} delivered, {expected:N0} expected**");
        }

        var w = Window.Between(s0, s1);
        Progress(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: {delivered:N0} delivered in {w.Seconds:0.0} s"));
        return new PhaseResult(0, delivered, w.Seconds, w);
    }

    /// <summary>Samples a process's RSS every second while a queue fills; keeps the maximum and (progress, RSS) pairs.</summary>
    internal sealed class RssSampler(int? pid) : IDisposable
    {
        private readonly List<(long Progress, long Kb)> _samples = [];
        private readonly Lock _lock = new();
        private Timer? _timer;
        private Func<long>? _progress;

        public long? MaxKb { get; private set; }

        public void Start(Func<long> progress)
        {
            _progress = progress;
            Take();
            _timer = new Timer(_ => Take(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        public void Stop()
        {
            _timer?.Dispose();
            _timer = null;
            Take();
        }

        /// <summary>The largest RSS seen in each tenth of the messages, e.g. "10% 130, 20% 142, ...".</summary>
        public string Profile(long total)
        {
            lock (_lock)
            {
                var parts = new List<string>();
                for (var tenth = 1; tenth <= 10; tenth++)
                {
                    var low = total * (tenth - 1) / 10;
                    var high = total * tenth / 10;
                    var kb = _samples.Where(s => s.Progress > low && s.Progress <= high).Select(s => (long?)s.Kb).Max();
                    if (kb is { } k)
                    {
                        parts.Add($"{tenth * 10}% {k / 1024.0:0}");
                    }
                }

                return parts.Count > 0 ? string.Join(", ", parts) : "-";
            }
        }

        public void Dispose() => _timer?.Dispose();

        private void Take()
        {
            if (ProcessProbe.RssKb(pid) is not { } kb)
            {
                return;
            }

            lock (_lock)
            {
                _samples.Add((_progress?.Invoke() ?? 0, kb));
                MaxKb = Math.Max(MaxKb ?? 0, kb);
            }
        }
    }
}
