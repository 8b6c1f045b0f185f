using System.Globalization;
using System.Text.RegularExpressions;

namespace Broker.Benchmarks;

/// <summary>Which load generator implementation talks to the brokers.</summary>
internal enum ClientKind
{
    /// <summary>RabbitMQ.Client 7 (what applications use).</summary>
    Dotnet,

    /// <summary>Hand-written AMQP over a socket with pre-encoded frames (cheapest possible client).</summary>
    Raw,
}

/// <summary>One broker to measure, as given by <c>--target name=..,uri=..,pid=..,start=..</c>.</summary>
internal sealed record TargetSpec(string Name, string Uri, string? Pid, string? Start, string? Log, string? Restart = null, string? Ui = null);

/// <summary>The parsed command line.</summary>
internal sealed class Options
{
    public const string DefaultScenarios = "startup,connections,throughput,fanout,large,latency";
    // Canonical order: connections first, while the broker's memory is not yet inflated by queued
    // messages; the durability scenarios last, since persistent backlogs take a while to be released,
    // and recovery last of all, since it restarts the brokers.
    public static readonly string[] AllScenarios = ["startup", "connections", "throughput", "fanout", "large", "latency", "confirms", "quorum", "stream", "backlog", "recovery", "delayed"];

    /// <summary>Scenarios that run only when named: they take minutes.</summary>
    public static readonly string[] ExplicitScenarios = ["backlog10m"];

    private static readonly string[] KnownScenarios = [.. AllScenarios, .. ExplicitScenarios];

    public List<TargetSpec> Targets { get; } = [];
    public List<string> Scenarios { get; private set; } = [.. DefaultScenarios.Split(',')];
    public List<ClientKind> Clients { get; private set; } = [ClientKind.Dotnet];
    public double DurationSeconds { get; private set; } = 10;
    public double WarmupSeconds { get; private set; } = 2;
    public double PauseSeconds { get; private set; } = 2;
    public string? OutputPath { get; private set; }
    public int BodySize { get; private set; } = 16;
    public int LargeBodySize { get; private set; } = 64 * 1024;
    public int FanoutQueues { get; private set; } = 10;
    public int Prefetch { get; private set; } = 1000;
    public int AckEvery { get; private set; } = 100;
    public int MaxBacklog { get; private set; } = 10_000;
    public long MaxBacklogBytes { get; private set; } = 32L * 1024 * 1024;
    public int LatencyRate { get; private set; } = 1000;
    public int ConfirmWindow { get; private set; } = 256;
    public int Connections { get; private set; } = 500;
    public double StartTimeoutSeconds { get; private set; } = 60;
    public bool Verbose { get; private set; }
    public double WaitIdleSeconds { get; private set; } = 20;
    public int Repeat { get; private set; } = 1;
    public long BacklogMessages { get; private set; } = 1_000_000;
    public int BacklogBodySize { get; private set; } = 128;
    public long Backlog10mMessages { get; private set; } = 10_000_000;
    public long DelayedMessages { get; private set; } = 100_000;
    public long StreamMessages { get; private set; } = 200_000;
    public bool Backlog10mPersistent { get; private set; }
    public int RssBoundMb { get; private set; } = 512;
    public double FsyncSeconds { get; private set; } = 3;
    public bool RecoveryCrash { get; private set; }
    public double PhaseTimeoutSeconds { get; private set; } = 900;

    public const string Usage = """
        Broker.Benchmarks: measures AMQP 0-9-1 brokers side by side with one load generator.

        dotnet run -c Release --project tests/Broker.Benchmarks -- \
            --target name=rabbitmq,uri=amqp://guest:guest@127.0.0.1:5673/ \
            --target name=broker,uri=amqp://guest:guest@127.0.0.1:{port}/,start="path/to/Broker --port {port} --management-port 0 --prometheus-port 0" \
            [--scenarios startup,connections,throughput,fanout,large,latency,confirms,quorum,stream,backlog,recovery,delayed|all]
            [--client dotnet|raw|dotnet,raw] [--duration 10] [--warmup 2] [--output results.md]

        --target name=N,uri=U[,pid=P][,start=CMD][,restart=CMD][,log=FILE][,ui=URL]
                                          (repeat; the first target is the ratio baseline)
            uri     amqp://user:pass@host:port/vhost
            pid     broker process to read CPU and RSS from: a number, 'auto' (the process listening on the
                    uri's port; the default) or 'auto:REGEX' (the one process whose command line matches REGEX)
            start   shell command that starts the broker; the tool starts it, measures its start-up, reads its
                    pid and kills it at the end. '{port}' in start and uri is replaced by a free TCP port.
            restart shell command that restarts a broker the tool did not start, in place (recovery scenario),
                    e.g. restart=rabbitmqctl -n ref@localhost stop_app && rabbitmqctl -n ref@localhost start_app
            log     where the started broker's stdout/stderr go (default /tmp/broker-bench-NAME.log)
            ui      the management web UI's base URL (start= targets): start-up also measures the time until
                    GET / and GET /api/overview answer 200, then the RSS after 30 s of the polling an open
                    overview page does. '{uiport}' in ui and start is replaced by another free port.
        --scenarios LIST     comma-separated from: startup,connections,throughput,fanout,large,latency,confirms,
                             quorum,stream,backlog,recovery,delayed,backlog10m ('all' = every one but backlog10m;
                             default: startup,connections,throughput,fanout,large,latency)
        --client LIST        dotnet (RabbitMQ.Client 7.2.1, default), raw (pre-encoded frames over a socket) or both
        --duration S         measured seconds per scenario and target (default 10)
        --warmup S           unmeasured seconds before each measurement (default 2)
        --pause S            idle seconds between runs so the previous run's work settles (default 2)
        --output FILE        also write the Markdown report to FILE
        --repeat N           run each scenario N times per target, interleaved across targets, and report
                             the median run by the table's main figure (default 1)
        --body-size N        throughput/fanout/confirms body bytes (default 16)
        --large-size N       large scenario body bytes (default 65536)
        --fanout-queues N    queues bound to the fanout exchange (default 10)
        --prefetch N         consumer prefetch (default 1000)
        --ack-every N        consumers ack with multiple=true every N deliveries (default 100)
        --max-backlog N      producer pauses while a queue holds more than N messages (default 10000;
                             also capped at 32 MiB of bodies, but never below prefetch + 2 x ack-every)
        --rate N             latency scenario publish rate in msg/s (default 1000)
        --confirm-window N   unconfirmed messages in flight for confirms, quorum, stream, backlog, recovery, backlog10m
                             (default 256)
        --fsync-seconds S    confirms: length of the separate sub-run that counts the broker's fsync/fdatasync
                             calls with strace after the measured window (default 3; 0 = off)
        --backlog-messages N backlog and recovery: messages queued (default 1000000)
        --backlog-body-size N  backlog, recovery, stream, delayed (and persistent backlog10m) body bytes (default 128)
        --recovery-crash     recovery: also restart each start= target after kill -9 (an extra row)
        --backlog10m-messages N  backlog10m: messages queued (default 10000000)
        --backlog10m-persistent  backlog10m: persistent bodies to a durable queue (default: 16-byte
                             transient bodies to a non-durable queue)
        --delayed-messages N delayed: messages pending in the delayed exchange (default 100000)
        --stream-messages N  stream: messages published to the stream, then read back from its start (default 200000)
        --rss-bound-mb N     backlog10m: the RSS bound the broker should stay under (default 512)
        --phase-timeout S    backlog, recovery, backlog10m: longest publish, recovery or drain phase; when
                             reached the phase stops and the row says how far it got (default 900)
        --connections N      connections scenario: idle connections to open (default 500)
        --start-timeout S    how long a started broker may take to accept a handshake (default 60)
        --wait-idle S        before each run wait up to S seconds for the host to be idle (below 0.3 busy
                             cores), since other work on the machine disturbs the figures (default 20; 0 = off)
        --verbose            print counters every second while a scenario runs (to stderr)
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--target": o.Targets.Add(ParseTarget(Next())); break;
                case "--scenarios": o.Scenarios = ParseScenarios(Next()); break;
                case "--client": o.Clients = ParseClients(Next()); break;
                case "--duration": o.DurationSeconds = PositiveDouble(a, Next()); break;
                case "--warmup": o.WarmupSeconds = NonNegativeDouble(a, Next()); break;
                case "--pause": o.PauseSeconds = NonNegativeDouble(a, Next()); break;
                case "--output": o.OutputPath = Next(); break;
                case "--body-size": o.BodySize = PositiveInt(a, Next(), 16); break;
                case "--large-size": o.LargeBodySize = PositiveInt(a, Next(), 16); break;
                case "--fanout-queues": o.FanoutQueues = PositiveInt(a, Next()); break;
                case "--prefetch": o.Prefetch = Math.Min(PositiveInt(a, Next()), ushort.MaxValue); break;
                case "--ack-every": o.AckEvery = PositiveInt(a, Next()); break;
                case "--max-backlog": o.MaxBacklog = PositiveInt(a, Next()); break;
                case "--rate": o.LatencyRate = PositiveInt(a, Next()); break;
                case "--confirm-window": o.ConfirmWindow = PositiveInt(a, Next()); break;
                case "--connections": o.Connections = PositiveInt(a, Next()); break;
                case "--start-timeout": o.StartTimeoutSeconds = PositiveDouble(a, Next()); break;
                case "--verbose": o.Verbose = true; break;
                case "--wait-idle": o.WaitIdleSeconds = NonNegativeDouble(a, Next()); break;
                case "--repeat": o.Repeat = PositiveInt(a, Next()); break;
                case "--backlog-messages": o.BacklogMessages = PositiveLong(a, Next()); break;
                case "--backlog-body-size": o.BacklogBodySize = PositiveInt(a, Next()); break;
                case "--delayed-messages": o.DelayedMessages = PositiveLong(a, Next()); break;
                case "--stream-messages": o.StreamMessages = PositiveLong(a, Next()); break;
                case "--backlog10m-messages": o.Backlog10mMessages = PositiveLong(a, Next()); break;
                case "--backlog10m-persistent": o.Backlog10mPersistent = true; break;
                case "--rss-bound-mb": o.RssBoundMb = PositiveInt(a, Next()); break;
                case "--fsync-seconds": o.FsyncSeconds = NonNegativeDouble(a, Next()); break;
                case "--recovery-crash": o.RecoveryCrash = true; break;
                case "--phase-timeout": o.PhaseTimeoutSeconds = PositiveDouble(a, Next()); break;
                default: throw new ArgumentException($"unknown argument '{a}'");
            }
        }

        if (o.Targets.Count == 0)
        {
            throw new ArgumentException("at least one --target is needed");
        }

        var dup = o.Targets.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null)
        {
            throw new ArgumentException($"target name '{dup.Key}' is used twice");
        }

        if (o.AckEvery > o.Prefetch)
        {
            throw new ArgumentException("--ack-every must not exceed --prefetch, or consumers stall");
        }

        return o;
    }

    /// <summary>
    /// The backlog bound for a body size: --max-backlog messages, at most 32 MiB of bodies, but room
    /// for the consumer's full prefetch window plus two ack batches so the bound never starves it.
    /// </summary>
    public long BacklogFor(int bodySize) =>
        Math.Max(Prefetch + (2L * AckEvery), Math.Min(MaxBacklog, MaxBacklogBytes / Math.Max(1, bodySize)));

    private static readonly Regex TargetSplit = new(",(?=(?:name|uri|pid|start|restart|log|ui)=)", RegexOptions.CultureInvariant);

    internal static TargetSpec ParseTarget(string spec)
    {
        string? name = null, uri = null, pid = null, start = null, log = null, restart = null, ui = null;
        foreach (var part in TargetSplit.Split(spec))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"bad --target part '{part}' (want key=value)");
            }

            var key = part[..eq];
            var value = Unquote(part[(eq + 1)..]);
            switch (key)
            {
                case "name": name = value; break;
                case "uri": uri = value; break;
                case "pid": pid = value; break;
                case "start": start = value; break;
                case "log": log = value; break;
                case "restart": restart = value; break;
                case "ui": ui = value; break;
                default: throw new ArgumentException($"unknown --target key '{key}'");
            }
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"--target {spec}: name= is required");
        }

        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new ArgumentException($"--target {spec}: uri= is required");
        }

        return new TargetSpec(name, uri, pid, start, log, restart, ui);
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    private static List<string> ParseScenarios(string list)
    {
        if (list == "all")
        {
            return [.. AllScenarios];
        }

        var result = new List<string>();
        foreach (var s in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!KnownScenarios.Contains(s))
            {
                throw new ArgumentException($"unknown scenario '{s}' (known: {string.Join(',', KnownScenarios)})");
            }

            if (!result.Contains(s))
            {
                result.Add(s);
            }
        }

        // Run in the canonical order so reports from different runs line up.
        return [.. KnownScenarios.Where(result.Contains)];
    }

    private static List<ClientKind> ParseClients(string list)
    {
        if (list == "both")
        {
            return [ClientKind.Dotnet, ClientKind.Raw];
        }

        return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c switch
        {
            "dotnet" => ClientKind.Dotnet,
            "raw" => ClientKind.Raw,
            _ => throw new ArgumentException($"unknown client '{c}' (dotnet, raw or both)"),
        }).Distinct()];
    }

    private static double PositiveDouble(string name, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 ? d : throw new ArgumentException($"{name} wants a positive number");

    private static double NonNegativeDouble(string name, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d : throw new ArgumentException($"{name} wants a number >= 0");

    private static long PositiveLong(string name, string v) =>
        long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : throw new ArgumentException($"{name} wants an integer >= 1");

    private static int PositiveInt(string name, string v, int min = 1) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n : throw new ArgumentException($"{name} wants an integer >= {min}");
}
