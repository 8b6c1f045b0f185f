using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Broker.Benchmarks;

Options options;
try
{
    if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(Options.Usage);
        return args.Length == 0 ? 2 : 0;
    }

    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}\n\n{Options.Usage}");
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
var ct = cts.Token;

void Progress(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

var targets = new List<TargetRuntime>();
try
{
    foreach (var spec in options.Targets)
    {
        Progress($"preparing target {spec.Name} ({(spec.Start != null ? "starting it" : spec.Uri)})");
        var t = await TargetRuntime.PrepareAsync(spec, options, ct);
        targets.Add(t);
        Progress(t.Error != null
            ? $"  {t.Name}: UNAVAILABLE: {t.Error}"
            : $"  {t.Name}: {t.ServerProduct} at {t.Uri}, pid {t.Pid?.ToString(CultureInfo.InvariantCulture) ?? "? (" + t.PidProblem + ")"}" +
              (t.Startup is { } s ? $", handshake {s.MillisecondsToHandshake:N0} ms after start" : ""));
    }

    var scenarios = new Scenarios(options);
    var tables = new List<Table>();
    var first = true;
    foreach (var scenario in options.Scenarios)
    {
        var table = scenarios.CreateTable(scenario);
        tables.Add(table);
        if (scenario == "startup")
        {
            if (targets.All(t => t.Spec.Start == null))
            {
                Progress("startup: no target was given with start=, skipped");
                tables.Remove(table);
                continue;
            }

            foreach (var t in targets)
            {
                table.Rows.Add(t.Error != null ? new Row(t.Name, "raw") { Error = t.Error } : scenarios.Startup(t));
            }

            continue;
        }

        // recovery --recovery-crash: each start= target also runs restarted after kill -9, in a row of its own.
        var variants = targets.Select(t => (Target: t, Crash: false)).ToList();
        if (scenario == "recovery" && options.RecoveryCrash)
        {
            variants.AddRange(targets.Where(t => t.Spec.Start != null).Select(t => (Target: t, Crash: true)));
        }

        string RowName(TargetRuntime t, bool crash) => crash ? $"{t.Name} (kill -9)" : t.Name;

        foreach (var client in options.Clients)
        {
            var clientName = Broker.Benchmarks.Clients.BenchClient.Describe(client);
            var runs = variants.ToDictionary(v => RowName(v.Target, v.Crash), _ => new List<Row>());

            // Repeats are interleaved (A B A B ...) so slow drifts of the background load hit all targets alike.
            for (var repeat = 1; repeat <= options.Repeat; repeat++)
            {
                foreach (var (t, crash) in variants.Where(v => v.Target.Error == null))
                {
                    if (!first)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(options.PauseSeconds), ct);
                    }

                    first = false;
                    var busy = await WaitForIdleHostAsync(options.WaitIdleSeconds, ct);
                    var of = options.Repeat > 1 ? $" (run {repeat} of {options.Repeat})" : "";
                    Progress($"{scenario} / {RowName(t, crash)} / {clientName}{of} ...");
                    var row = await scenarios.RunAsync(scenario, t, client, ct, crash);
                    if (busy is { } b)
                    {
                        row.Notes.Add($"host still busy ({b:0.00} cores) after waiting {options.WaitIdleSeconds:0} s for it to idle");
                    }

                    if (t.CheckExited() is { } died)
                    {
                        row.Notes.Add($"**{died}**");
                    }

                    runs[RowName(t, crash)].Add(row);
                    Progress("  " + (row.Error != null ? "ERROR: " + row.Error : Summary(row)));
                }
            }

            foreach (var (t, crash) in variants)
            {
                var name = RowName(t, crash);
                table.Rows.Add(runs[name].Count == 0
                    ? new Row(name, clientName) { Error = t.Error != null ? $"target unavailable: {t.Error}" : "target unavailable" }
                    : Median(table, runs[name]));
            }
        }
    }

    var report = BuildReport(options, targets, tables);
    Console.WriteLine(report);
    if (options.OutputPath != null)
    {
        await File.WriteAllTextAsync(options.OutputPath, report, ct);
        Progress($"report written to {options.OutputPath}");
    }

    return 0;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Progress("cancelled");
    return 130;
}
finally
{
    foreach (var t in targets)
    {
        await t.DisposeAsync();
    }
}

// Waits until the whole host uses less than 0.3 cores over half a second; returns the last busy
// figure when it gave up, null when the host became idle (or waiting is off).
async Task<double?> WaitForIdleHostAsync(double maxSeconds, CancellationToken token)
{
    if (maxSeconds <= 0)
    {
        return null;
    }

    var deadline = DateTime.UtcNow.AddSeconds(maxSeconds);
    var announced = false;
    while (true)
    {
        var a = Sample.Take(null);
        await Task.Delay(500, token);
        var busy = Window.Between(a, Sample.Take(null)).HostBusyCores;
        if (busy < 0.3)
        {
            return null;
        }

        if (DateTime.UtcNow > deadline)
        {
            return busy;
        }

        if (!announced)
        {
            Progress($"  waiting for the host to idle ({busy:0.00} cores busy)...");
            announced = true;
        }
    }
}

// The run whose main figure (the table's first ratio column) is the median; notes the spread.
static Row Median(Table table, List<Row> rows)
{
    if (rows.Count == 1)
    {
        return rows[0];
    }

    var key = table.Columns.First(c => c.Ratio);
    var ok = rows.Where(r => r.Error == null && r[key.Key] is { } v && double.IsFinite(v)).OrderBy(r => r[key.Key]).ToList();
    if (ok.Count == 0)
    {
        return rows[^1];
    }

    var median = ok[(ok.Count - 1) / 2];
    string F(double? v) => v?.ToString(key.Format, CultureInfo.InvariantCulture) ?? "-";
    median.Notes.Insert(0, $"median of {ok.Count} runs by {key.Header} (range {F(ok[0][key.Key])} to {F(ok[^1][key.Key])})" +
        (ok.Count < rows.Count ? $", {rows.Count - ok.Count} failed: {rows.First(r => r.Error != null).Error}" : ""));
    return median;
}

static string Summary(Row row) =>
    string.Join(", ", row.Values.Where(kv => kv.Value is { } v && double.IsFinite(v))
        .Select(kv => $"{kv.Key}={kv.Value!.Value.ToString("0.##", CultureInfo.InvariantCulture)}"))
    + (row.Notes.Count > 0 ? " [" + string.Join("; ", row.Notes) + "]" : "");

static string BuildReport(Options options, List<TargetRuntime> targets, List<Table> tables)
{
    var sb = new StringBuilder();
    sb.Append(CultureInfo.InvariantCulture, $"# Broker benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC\n\n");
    sb.Append(CultureInfo.InvariantCulture,
        $"Host: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, CLK_TCK {ProcessProbe.ClockTicksPerSecond}. ");
    sb.Append(CultureInfo.InvariantCulture,
        $"Each run: {options.WarmupSeconds:0.#} s warm-up, then {options.DurationSeconds:0.#} s measured; {options.PauseSeconds:0.#} s pause between runs. ");
    sb.Append("Load generator clients: ").AppendJoin(", ", options.Clients.Select(Broker.Benchmarks.Clients.BenchClient.Describe)).Append(".\n\n");
    sb.Append("| target | server | uri | pid |\n|---|---|---|---|\n");
    foreach (var t in targets)
    {
        var pid = t.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-";
        sb.Append(CultureInfo.InvariantCulture, $"| {t.Name} | {(t.Error != null ? "unavailable: " + t.Error : t.ServerProduct)} | {t.Uri} | {pid} |\n");
    }

    sb.Append("\nRatios (\"vs first\") divide by the first target's value measured with the same client. " +
        "CPU figures come from /proc/PID/stat (utime+stime) of the broker process over the measured window; " +
        "loadgen CPU is this process; \"host busy cores\" is the whole machine from /proc/stat.\n\n");
    foreach (var table in tables)
    {
        sb.Append(table.ToMarkdown());
    }

    return sb.ToString();
}
