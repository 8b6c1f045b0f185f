using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Broker.Benchmarks.Clients;

namespace Broker.Benchmarks;

/// <summary>Runs one scenario against one target with one client and turns it into a table row.</summary>
internal sealed class Scenarios(Options options)
{
    internal static readonly TimeSpan AdminTimeout = TimeSpan.FromSeconds(30);
    private readonly DurabilityScenarios _durability = new(options);
    private readonly DelayedScenario _delayed = new(options);
    private readonly StreamScenario _stream = new(options);

    /// <summary>A message-flow scenario: producer -> (exchange) -> queue(s) -> consumer(s).</summary>
    private sealed record Flow(string Name, int Queues, bool Fanout, int BodySize, bool Persistent, bool Confirms, bool Consume,
        IDictionary<string, object?>? QueueArguments = null);

    public Table CreateTable(string scenario) => scenario switch
    {
        "startup" => new Table(scenario, "startup", "Time from starting the broker process to a completed AMQP handshake (connection.open-ok), " +
            "CPU the broker used until then and its RSS right after. Only for targets given with start=. With ui=, also the time " +
            "until the management web UI's page and /api/overview answer, and the RSS after 30 s of an open overview page's polling.",
            [
                new("ms", "ms to handshake", "N0", Ratio: true),
                new("cpuMs", "broker CPU ms", "N0"),
                new("rss", "RSS MB", "N1", Ratio: true),
                new("msUi", "ms to web UI", "N0", Ratio: true),
                new("rssUi", "RSS MB, UI open 30 s", "N1", Ratio: true),
            ]),
        "throughput" or "large" => new Table(scenario, scenario == "large" ? "large" : "throughput", scenario == "large"
            ? $"1 producer -> 1 non-durable queue -> 1 consumer, {options.LargeBodySize:N0}-byte transient bodies, prefetch {options.Prefetch}, " +
              $"ack multiple every {options.AckEvery}, producer unthrottled without confirms (paused while the backlog exceeds {options.BacklogFor(options.LargeBodySize):N0} messages)."
            : $"1 producer -> 1 non-durable queue -> 1 consumer, {options.BodySize}-byte transient bodies, prefetch {options.Prefetch}, " +
              $"ack multiple every {options.AckEvery}, producer unthrottled without confirms (paused while the backlog exceeds {options.BacklogFor(options.BodySize):N0} messages).",
            FlowColumns(delivered: true, published: false, confirmed: false)),
        "fanout" => new Table(scenario, "fanout", $"1 producer -> fanout exchange -> {options.FanoutQueues} non-durable queues, 1 consumer (own connection) each; " +
            $"{options.BodySize}-byte transient bodies. Delivered counts every copy; CPU per message is per delivered copy.",
            FlowColumns(delivered: true, published: true, confirmed: false)),
        "confirms" => new Table(scenario, "confirms", $"1 producer with publisher confirms ({options.ConfirmWindow} unconfirmed in flight) -> 1 durable queue, " +
            $"{options.BodySize}-byte persistent bodies (delivery_mode 2), no consumer. CPU per message is per confirmed message. " +
            "Confirm latency: from taking a window slot right before the publish call to the basic.ack, for messages confirmed in the " +
            "measured (unthrottled) window. " + (options.FsyncSeconds > 0
                ? $"**fsyncs/msg comes from a separate {options.FsyncSeconds:0.#} s sub-run after the measured window**, with the broker under " +
                  "`strace -f -qq -c -e trace=fsync,fdatasync -p PID` (fsync + fdatasync calls of all its threads / messages confirmed meanwhile); " +
                  "ptrace slows the broker, so that sub-run's rate (in the notes) is lower and its CPU is not counted anywhere."
                : "fsync counting is off (--fsync-seconds 0)."),
            FlowColumns(delivered: false, published: false, confirmed: true)),
        "latency" => new Table(scenario, "latency", $"1 producer at a fixed {options.LatencyRate:N0} msg/s -> 1 non-durable queue -> 1 consumer; " +
            "end-to-end latency from publish call to delivery in the consumer, in microseconds (both ends in this process).",
            [
                new("rate", "sent msg/s", "N0"),
                new("p50", "p50 µs", "N0", Ratio: true),
                new("p90", "p90 µs", "N0"),
                new("p99", "p99 µs", "N0", Ratio: true),
                new("p999", "p99.9 µs", "N0"),
                new("max", "max µs", "N0"),
                new("brokerPer", "broker CPU µs/msg", "N1", Ratio: true),
                new("brokerCores", "broker cores", "N2"),
                new("lgPer", "loadgen CPU µs/msg", "N1"),
                new("rss", "broker RSS MB", "N1"),
            ]),
        "connections" => new Table(scenario, "connections", $"Open {options.Connections} idle connections with one channel each (16 at a time), " +
            "hold them 5 s (idle CPU over the last 3), close them. RSS per connection = (RSS with them open - RSS before) / count.",
            [
                new("n", "connections", "N0"),
                new("openRate", "opened/s", "N0", Ratio: true),
                new("cpuPerConn", "broker CPU µs/conn", "N0", Ratio: true),
                new("rss0", "RSS before MB", "N1"),
                new("rss1", "RSS open MB", "N1"),
                new("kbPerConn", "KB/conn", "N1", Ratio: true),
                new("idleCpu", "idle broker CPU %", "N1"),
                new("rss2", "RSS after close MB", "N1"),
            ]),
        "quorum" => new Table(scenario, "quorum", $"1 producer with publisher confirms ({options.ConfirmWindow} unconfirmed in flight) -> 1 **quorum queue** " +
            $"(x-queue-type quorum, durable) -> 1 consumer (prefetch {options.Prefetch}, ack multiple every {options.AckEvery}), {options.BodySize}-byte " +
            $"persistent bodies, both running at once (producer paused while the backlog exceeds {options.BacklogFor(options.BodySize):N0} messages). " +
            "CPU per message is per confirmed message (in steady state about as many are delivered). Confirm latency and the fsync sub-run " +
            "as in confirms (here with the consumer attached).",
            FlowColumns(delivered: true, published: false, confirmed: true)),
        "stream" => _stream.CreateTable(),
        "delayed" => _delayed.CreateTable(),
        _ => _durability.CreateTable(scenario) ?? throw new ArgumentException($"unknown scenario {scenario}"),
    };

    private static List<Column> FlowColumns(bool delivered, bool published, bool confirmed)
    {
        var cols = new List<Column>();
        if (published)
        {
            cols.Add(new("published", "published msg/s", "N0"));
        }

        if (delivered)
        {
            cols.Add(new("delivered", "delivered msg/s", "N0", Ratio: true));
            cols.Add(new("mibs", "MiB/s", "N1"));
        }

        if (confirmed)
        {
            cols.Add(new("confirmed", "confirmed msg/s", "N0", Ratio: true));
            cols.Add(new("c50", "confirm p50 µs", "N0", Ratio: true));
            cols.Add(new("c99", "confirm p99 µs", "N0", Ratio: true));
            cols.Add(new("c999", "confirm p99.9 µs", "N0"));
            cols.Add(new("cmax", "confirm max µs", "N0"));
            cols.Add(new("fsyncPer", "fsyncs/msg (strace sub-run)", "N4", Ratio: true));
        }

        cols.AddRange(
        [
            new("brokerPer", "broker CPU µs/msg", "N1", Ratio: true),
            new("brokerCores", "broker cores", "N2"),
            new("lgPer", "loadgen CPU µs/msg", "N1"),
            new("lgCores", "loadgen cores", "N2"),
            new("host", "host busy cores", "N2"),
        ]);
        if (!confirmed)
        {
            cols.Add(new("paused", "backlog-paused %", "N0"));
        }

        cols.Add(new("rss", "broker RSS MB", "N1"));
        return cols;
    }

    public Row Startup(TargetRuntime target)
    {
        var row = new Row(target.Name, "raw");
        if (target.Startup is { } s)
        {
            row["ms"] = s.MillisecondsToHandshake;
            row["cpuMs"] = s.CpuMs;
            row["rss"] = s.RssKb / 1024.0;
            row["msUi"] = s.MillisecondsToUi;
            row["rssUi"] = s.RssWithUiKb / 1024.0;
            row.Notes.Add($"{s.Attempts} connect attempts");
        }
        else
        {
            row.Notes.Add("not started by the tool (no start=): skipped");
        }

        return row;
    }

    /// <summary>Runs a scenario; crash (recovery only) restarts a start= target after kill -9, in a row of its own.</summary>
    public async Task<Row> RunAsync(string scenario, TargetRuntime target, ClientKind client, CancellationToken ct, bool crash = false)
    {
        var row = new Row(crash ? $"{target.Name} (kill -9)" : target.Name, BenchClient.Describe(client));
        if (target.PidProblem != null)
        {
            row.Notes.Add($"no broker pid: {target.PidProblem}");
        }

        try
        {
            switch (scenario)
            {
                case "throughput":
                    await RunFlowAsync(new Flow(scenario, 1, false, options.BodySize, false, false, true), target, client, row, ct);
                    break;
                case "large":
                    await RunFlowAsync(new Flow(scenario, 1, false, options.LargeBodySize, false, false, true), target, client, row, ct);
                    break;
                case "fanout":
                    await RunFlowAsync(new Flow(scenario, options.FanoutQueues, true, options.BodySize, false, false, true), target, client, row, ct);
                    break;
                case "confirms":
                    await RunFlowAsync(new Flow(scenario, 1, false, options.BodySize, true, true, false), target, client, row, ct);
                    break;
                case "quorum":
                    await RunFlowAsync(new Flow(scenario, 1, false, options.BodySize, true, true, true, QuorumArguments), target, client, row, ct);
                    break;
                case "stream":
                    await _stream.RunAsync(target, client, row, ct);
                    break;
                case "latency":
                    await RunLatencyAsync(target, client, row, ct);
                    break;
                case "connections":
                    await RunConnectionsAsync(target, client, row, ct);
                    break;
                case "delayed" when client != ClientKind.Dotnet:
                    row.Notes.Add("skipped: the delayed scenario publishes headers, which only the RabbitMQ.Client client does");
                    break;
                case "delayed":
                    await _delayed.RunAsync(target, row, ct);
                    break;
                case "backlog" or "recovery" or "backlog10m":
                    await _durability.RunAsync(scenario, target, client, row, crash, ct);
                    break;
                default:
                    throw new ArgumentException($"unknown scenario {scenario}");
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            row.Error = e switch
            {
                OperationCanceledException => $"timed out: the broker did not answer a setup method within {AdminTimeout.TotalSeconds:0} s",
                AggregateException { InnerException: { } inner } => inner.Message,
                _ => e.Message,
            };
        }

        return row;
    }

    /// <summary>With --verbose, prints a status line to stderr every second until disposed.</summary>
    internal static Timer StartTicker(Func<string> status) =>
        new(_ => Console.Error.WriteLine($"    {DateTime.Now:HH:mm:ss.f} {status()}"), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    private static readonly Dictionary<string, object?> QuorumArguments = new(StringComparer.Ordinal) { ["x-queue-type"] = "quorum" };

    internal static string NewId() => Guid.NewGuid().ToString("N")[..8];

    private async Task RunFlowAsync(Flow flow, TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        var tag = $"bench-{flow.Name}-{NewId()}";
        var queues = Enumerable.Range(0, flow.Queues).Select(i => flow.Queues == 1 ? tag : $"{tag}-{i}").ToArray();
        var exchange = flow.Fanout ? $"{tag}-fanout" : "";
        var routingKey = flow.Fanout ? "" : queues[0];
        var connections = new List<IBenchConnection>();
        await using var admin = await BenchClient.ConnectAsync(client, target.Uri, $"{tag}-admin", ct);
        try
        {
            using (var setup = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                setup.CancelAfter(AdminTimeout);
                if (flow.Fanout)
                {
                    await admin.DeclareExchangeAsync(exchange, "fanout", setup.Token);
                }

                foreach (var q in queues)
                {
                    await admin.DeclareQueueAsync(q, durable: flow.Persistent, flow.QueueArguments, setup.Token);
                    if (flow.Fanout)
                    {
                        await admin.BindQueueAsync(q, exchange, "", setup.Token);
                    }
                }
            }

            var counters = new ConsumerCounter[flow.Consume ? queues.Length : 0];
            var tracker = flow.Confirms ? new ConfirmTracker(options.ConfirmWindow) : null;
            IBenchPublisher publisher;
            using (var setup = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                setup.CancelAfter(AdminTimeout);
                for (var i = 0; i < counters.Length; i++)
                {
                    counters[i] = new ConsumerCounter();
                    var consumer = await BenchClient.ConnectAsync(client, target.Uri, $"{tag}-consumer-{i}", setup.Token);
                    connections.Add(consumer);
                    await consumer.StartConsumerAsync(queues[i], (ushort)options.Prefetch, options.AckEvery, counters[i], null, null, setup.Token);
                }

                var producerConnection = await BenchClient.ConnectAsync(client, target.Uri, $"{tag}-producer", setup.Token);
                connections.Add(producerConnection);
                publisher = await producerConnection.CreatePublisherAsync(exchange, routingKey, flow.BodySize, flow.Persistent, tracker, setup.Token);
            }

            // Messages per publish call: about 256 KiB at a time, 1..500 messages, so the backlog and
            // stop checks stay fine-grained.
            var batch = Math.Clamp(256 * 1024 / (flow.BodySize + 100), 1, 500);
            var producer = new Producer(publisher, counters, options.BacklogFor(flow.BodySize), batch, tracker);
            using var producerCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var producerTask = Task.Run(() => producer.RunAsync(producerCts.Token), CancellationToken.None);

            using var ticker = options.Verbose ? StartTicker(() =>
                $"published {producer.Published:N0}, delivered {string.Join('/', counters.Select(c => c.Delivered.ToString("N0", CultureInfo.InvariantCulture)))}" +
                (tracker != null ? $", confirmed {tracker.Acked:N0}" : "")) : null;
            await WaitWatchingAsync(options.WarmupSeconds, connections, producerTask, ct);
            var latencies = new LatencyHistogram();
            tracker?.RecordLatencies(latencies);
            var s0 = Sample.Take(target.Pid);
            var (p0, d0, c0, paused0) = (producer.Published, counters.Sum(c => c.Delivered), tracker?.Acked ?? 0, producer.PausedTicks);
            await WaitWatchingAsync(options.DurationSeconds, connections, producerTask, ct);
            var s1 = Sample.Take(target.Pid);
            var (p1, d1, c1, paused1) = (producer.Published, counters.Sum(c => c.Delivered), tracker?.Acked ?? 0, producer.PausedTicks);
            tracker?.RecordLatencies(null);
            var rssKb = ProcessProbe.RssKb(target.Pid);
            if (tracker != null)
            {
                row["c50"] = latencies.Microseconds(0.5);
                row["c99"] = latencies.Microseconds(0.99);
                row["c999"] = latencies.Microseconds(0.999);
                row["cmax"] = latencies.MaxMicroseconds;
                await CountFsyncsAsync(target, tracker, connections, producerTask, row, ct);
            }

            await producer.StopAsync(producerTask, producerCts);
            ThrowIfFailed(connections);

            var w = Window.Between(s0, s1);
            var delivered = d1 - d0;
            var confirmed = c1 - c0;
            var perMessage = flow.Confirms ? confirmed : delivered;
            row["published"] = (p1 - p0) / w.Seconds;
            row["delivered"] = delivered / w.Seconds;
            row["mibs"] = delivered * (double)flow.BodySize / w.Seconds / (1024 * 1024);
            row["confirmed"] = confirmed / w.Seconds;
            row["brokerPer"] = w.BrokerCpuPer(perMessage);
            row["brokerCores"] = w.BrokerCores;
            row["lgPer"] = w.LoadgenCpuPer(perMessage);
            row["lgCores"] = w.LoadgenCores;
            row["host"] = w.HostBusyCores;
            row["paused"] = Math.Min(100, (paused1 - paused0) / (double)Stopwatch.Frequency / w.Seconds * 100);
            row["rss"] = rssKb / 1024.0;
            row.Notes.AddRange(w.BottleneckNotes());
            if (tracker is { Nacked: > 0 })
            {
                row.Notes.Add($"{tracker.Nacked:N0} nacked");
            }

            if (perMessage == 0)
            {
                row.Notes.Add("**nothing delivered in the measured window**");
            }
        }
        finally
        {
            await CleanupAsync(admin, queues, exchange, connections);
        }
    }

    /// <summary>
    /// The fsync sub-run of the confirms scenario: the producer keeps going while strace counts the
    /// broker's fsync/fdatasync calls; "n/a" when strace or the pid is missing or tracing fails.
    /// </summary>
    private async Task CountFsyncsAsync(TargetRuntime target, ConfirmTracker tracker, List<IBenchConnection> connections, Task producer, Row row, CancellationToken ct)
    {
        if (options.FsyncSeconds <= 0)
        {
            return;
        }

        row.Texts["fsyncPer"] = "n/a";
        if (FsyncCounter.StracePath == null)
        {
            row.Notes.Add("fsyncs: n/a, strace is not installed (apt-get install -y strace)");
            return;
        }

        if (target.Pid is not { } pid)
        {
            row.Notes.Add("fsyncs: n/a, no broker pid");
            return;
        }

        FsyncCount count;
        try
        {
            count = await FsyncCounter.CountAsync(pid, options.FsyncSeconds, () => tracker.Acked, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            row.Notes.Add($"fsyncs: n/a ({e.Message})");
            return;
        }

        ThrowIfFailed(connections);
        if (producer.IsCompleted)
        {
            await producer;
        }

        if (count.Confirmed > 0)
        {
            row["fsyncPer"] = count.Total / (double)count.Confirmed;
        }

        row.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"strace sub-run: {count.Fsync:N0} fsync + {count.Fdatasync:N0} fdatasync for {count.Confirmed:N0} confirmed in {count.Seconds:0.0} s " +
            $"({count.Confirmed / count.Seconds:N0} msg/s under ptrace)"));
    }

    /// <summary>Deletes the queues first (so the broker stops delivering), then closes consumers and producer.</summary>
    internal static async Task CleanupAsync(IBenchConnection admin, IEnumerable<string> queues, string exchange, List<IBenchConnection> connections)
    {
        using var cts = new CancellationTokenSource(AdminTimeout);
        try
        {
            foreach (var q in queues)
            {
                await admin.DeleteQueueAsync(q, cts.Token);
            }
        }
        catch (Exception)
        {
            // The queue may be gone with a failed connection; cleanup is best effort.
        }

        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }

        if (exchange.Length > 0)
        {
            try
            {
                await admin.DeleteExchangeAsync(exchange, cts.Token);
            }
            catch (Exception)
            {
            }
        }
    }

    internal static void ThrowIfFailed(IEnumerable<IBenchConnection> connections)
    {
        foreach (var c in connections)
        {
            if (c.Failure is { } f)
            {
                throw new InvalidOperationException(f.Message, f);
            }
        }
    }

    /// <summary>Waits, failing early when a connection or the producer fails.</summary>
    internal static async Task WaitWatchingAsync(double seconds, IReadOnlyList<IBenchConnection> connections, Task? producer, CancellationToken ct)
    {
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (true)
        {
            ThrowIfFailed(connections);
            if (producer is { IsCompleted: true })
            {
                await producer;
                throw new InvalidOperationException("the producer stopped early");
            }

            var left = (end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency;
            if (left <= 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(left, 0.1)), ct);
        }
    }

    /// <summary>Publishes as fast as the client goes, within the backlog bound and the confirm window.</summary>
    private sealed class Producer(IBenchPublisher publisher, ConsumerCounter[] counters, long backlogLimit, int batch, ConfirmTracker? confirms)
    {
        private long _published;
        private long _pausedTicks;
        private volatile bool _stop;

        public long Published => Volatile.Read(ref _published);

        public long PausedTicks => Volatile.Read(ref _pausedTicks);

        public async Task RunAsync(CancellationToken ct)
        {
            try
            {
                while (!_stop)
                {
                    if (counters.Length > 0 && _published - MinDelivered() > backlogLimit)
                    {
                        var t = Stopwatch.GetTimestamp();
                        await Task.Delay(1, ct);
                        Volatile.Write(ref _pausedTicks, _pausedTicks + Stopwatch.GetTimestamp() - t);
                        continue;
                    }

                    var n = confirms == null ? batch : await confirms.AcquireAsync(batch, ct);
                    await publisher.PublishAsync(n, ct);
                    Volatile.Write(ref _published, _published + n);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }

        /// <summary>Asks the loop to stop after its current call; cancels it if that does not happen within 10 s.</summary>
        public async Task StopAsync(Task running, CancellationTokenSource cts)
        {
            _stop = true;
            if (await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(10))) != running)
            {
                await cts.CancelAsync();
            }

            await running;
        }

        private long MinDelivered()
        {
            var min = long.MaxValue;
            foreach (var c in counters)
            {
                min = Math.Min(min, c.Delivered);
            }

            return min;
        }
    }

    private async Task RunLatencyAsync(TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        var queue = $"bench-latency-{NewId()}";
        var connections = new List<IBenchConnection>();
        await using var admin = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-admin", ct);
        try
        {
            var recorder = new LatencyRecorder((int)(options.LatencyRate * (options.DurationSeconds + 2)) + 1000);
            var counter = new ConsumerCounter();
            IBenchPublisher publisher;
            using (var setup = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                setup.CancelAfter(AdminTimeout);
                await admin.DeclareQueueAsync(queue, durable: false, null, setup.Token);
                var consumer = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-consumer", setup.Token);
                connections.Add(consumer);
                await consumer.StartConsumerAsync(queue, (ushort)options.Prefetch, options.AckEvery, counter, recorder.Observe, null, setup.Token);
                var producerConnection = await BenchClient.ConnectAsync(client, target.Uri, $"{queue}-producer", setup.Token);
                connections.Add(producerConnection);
                publisher = await producerConnection.CreatePublisherAsync("", queue, Math.Max(16, options.BodySize), persistent: false, null, setup.Token);
            }

            var paced = new PacedPublisher(publisher, options.LatencyRate, recorder);
            var thread = paced.Start();

            await WaitWatchingAsync(options.WarmupSeconds, connections, paced.Completion, ct);
            recorder.Open();
            var s0 = Sample.Take(target.Pid);
            var (sent0, d0) = (paced.Sent, counter.Delivered);
            await WaitWatchingAsync(options.DurationSeconds, connections, paced.Completion, ct);
            recorder.Close();
            var s1 = Sample.Take(target.Pid);
            var (sent1, d1) = (paced.Sent, counter.Delivered);
            var rssKb = ProcessProbe.RssKb(target.Pid);
            paced.Stop();
            thread.Join();
            await paced.Completion;

            // Let the messages sent in the window arrive before reading the samples.
            var drainEnd = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency;
            while (counter.Delivered < paced.Sent && Stopwatch.GetTimestamp() < drainEnd)
            {
                await Task.Delay(10, ct);
            }

            ThrowIfFailed(connections);
            var w = Window.Between(s0, s1);
            var sentInWindow = sent1 - sent0;
            var lat = recorder.Percentiles();
            row["rate"] = sentInWindow / w.Seconds;
            if (lat != null)
            {
                row["p50"] = lat.Value.P50;
                row["p90"] = lat.Value.P90;
                row["p99"] = lat.Value.P99;
                row["p999"] = lat.Value.P999;
                row["max"] = lat.Value.Max;
            }

            row["brokerPer"] = w.BrokerCpuPer(d1 - d0);
            row["brokerCores"] = w.BrokerCores;
            row["lgPer"] = w.LoadgenCpuPer(d1 - d0);
            row["rss"] = rssKb / 1024.0;
            var missing = recorder.SentInWindow - recorder.Count;
            if (missing > 0)
            {
                row.Notes.Add($"{missing:N0} of {recorder.SentInWindow:N0} not received within 3 s");
            }

            row.Notes.AddRange(w.BottleneckNotes());
        }
        finally
        {
            await CleanupAsync(admin, [queue], "", connections);
        }
    }

    /// <summary>Records send-to-delivery times of messages stamped inside the measured window.</summary>
    private sealed class LatencyRecorder(int capacity)
    {
        private readonly long[] _samples = new long[capacity];
        private long _from = long.MaxValue;
        private long _to = long.MaxValue;
        private int _count;
        private long _sentInWindow;

        public int Count => Volatile.Read(ref _count);

        /// <summary>Messages stamped inside the window: what <see cref="Count"/> should reach once they all arrived.</summary>
        public long SentInWindow => Volatile.Read(ref _sentInWindow);

        /// <summary>Called by the publisher with each message's stamp.</summary>
        public void NoteSent(long stamp)
        {
            if (stamp >= Volatile.Read(ref _from) && stamp < Volatile.Read(ref _to))
            {
                Interlocked.Increment(ref _sentInWindow);
            }
        }

        public void Open() => Volatile.Write(ref _from, Stopwatch.GetTimestamp());

        public void Close() => Volatile.Write(ref _to, Stopwatch.GetTimestamp());

        /// <summary>Called on the consumer's delivery thread.</summary>
        public void Observe(ReadOnlySpan<byte> body)
        {
            var now = Stopwatch.GetTimestamp();
            var sent = BinaryPrimitives.ReadInt64LittleEndian(body);
            if (sent >= Volatile.Read(ref _from) && sent < Volatile.Read(ref _to) && _count < _samples.Length)
            {
                _samples[_count] = now - sent;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        public (double P50, double P90, double P99, double P999, double Max)? Percentiles()
        {
            var n = Count;
            if (n == 0)
            {
                return null;
            }

            var s = _samples[..n];
            Array.Sort(s);
            double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
            double At(double q) => Us(s[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)]);
            return (At(0.5), At(0.9), At(0.99), At(0.999), Us(s[n - 1]));
        }
    }

    /// <summary>
    /// Publishes stamped messages at a fixed rate from a dedicated thread, sleeping 1 ms whenever it
    /// is ahead of schedule (messages are stamped when actually sent, so pacing jitter does not count
    /// as latency). Falling more than a second behind restarts the schedule instead of bursting.
    /// </summary>
    private sealed class PacedPublisher(IBenchPublisher publisher, int rate, LatencyRecorder recorder)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _stop;
        private long _sent;

        public long Sent => Volatile.Read(ref _sent);

        public Task Completion => _done.Task;

        public Thread Start()
        {
            var t = new Thread(Run) { IsBackground = true, Name = "paced-publisher" };
            t.Start();
            return t;
        }

        public void Stop() => _stop = true;

        private void Run()
        {
            try
            {
                var interval = Stopwatch.Frequency / (double)rate;
                var t0 = Stopwatch.GetTimestamp();
                long k = 0;
                while (!_stop)
                {
                    var due = t0 + (long)(k * interval);
                    var now = Stopwatch.GetTimestamp();
                    if (now < due)
                    {
                        Thread.Sleep(1);
                        continue;
                    }

                    if (now - due > Stopwatch.Frequency)
                    {
                        t0 = now;
                        k = 0;
                    }

                    var stamp = Stopwatch.GetTimestamp();
                    recorder.NoteSent(stamp);
                    var pending = publisher.PublishStampedAsync(stamp, CancellationToken.None);
                    if (pending.IsCompletedSuccessfully)
                    {
                        pending.GetAwaiter().GetResult();
                    }
                    else
                    {
                        pending.AsTask().GetAwaiter().GetResult();
                    }

                    k++;
                    Volatile.Write(ref _sent, _sent + 1);
                }

                _done.TrySetResult();
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
            }
        }
    }

    private async Task RunConnectionsAsync(TargetRuntime target, ClientKind client, Row row, CancellationToken ct)
    {
        const int Parallel = 16;
        var n = options.Connections;
        var opened = new IBenchConnection?[n];
        var tag = $"bench-conn-{NewId()}";
        try
        {
            // The broker may still be returning memory from earlier runs: start from a steady RSS.
            var rss0 = await SettledRssKbAsync(target.Pid, ct);
            var s0 = Sample.Take(target.Pid);
            var openCount = 0;
            try
            {
                await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async worker =>
                {
                    for (var i = worker; i < n; i += Parallel)
                    {
                        opened[i] = await BenchClient.ConnectAsync(client, target.Uri, $"{tag}-{i}", ct);
                        Interlocked.Increment(ref openCount);
                    }
                }));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"opened {openCount} of {n}: {e.Message}", e);
            }

            var s1 = Sample.Take(target.Pid);

            // Idle CPU after the opening burst has settled (background JIT, garbage collection).
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            var idleFrom = Sample.Take(target.Pid);
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            var s2 = Sample.Take(target.Pid);
            var rss1 = ProcessProbe.RssKb(target.Pid);
            ThrowIfFailed(opened.OfType<IBenchConnection>());

            await CloseAllAsync(opened);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var rss2 = ProcessProbe.RssKb(target.Pid);

            var open = Window.Between(s0, s1);
            var idle = Window.Between(idleFrom, s2);
            row["n"] = n;
            row["openRate"] = n / open.Seconds;
            row["cpuPerConn"] = open.BrokerCpuPer(n);
            row["rss0"] = rss0 / 1024.0;
            row["rss1"] = rss1 / 1024.0;
            row["kbPerConn"] = rss1 - rss0 is { } delta ? delta / (double)n : null;
            row["idleCpu"] = idle.BrokerCores * 100;
            row["rss2"] = rss2 / 1024.0;
            row.Notes.AddRange(open.BottleneckNotes().Select(x => "while opening: " + x));
        }
        finally
        {
            await CloseAllAsync(opened);
        }
    }

    /// <summary>RSS once two readings 0.5 s apart differ by less than 1 MiB (at most 20 s).</summary>
    internal static async Task<long?> SettledRssKbAsync(int? pid, CancellationToken ct)
    {
        var last = ProcessProbe.RssKb(pid);
        var deadline = Stopwatch.GetTimestamp() + (20 * Stopwatch.Frequency);
        while (last != null && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(500, ct);
            var now = ProcessProbe.RssKb(pid);
            if (now == null || Math.Abs(now.Value - last.Value) < 1024)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    private static async Task CloseAllAsync(IBenchConnection?[] connections)
    {
        const int Parallel = 16;
        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(async worker =>
        {
            for (var i = worker; i < connections.Length; i += Parallel)
            {
                if (connections[i] is { } c)
                {
                    connections[i] = null;
                    await c.DisposeAsync();
                }
            }
        }));
    }
}
