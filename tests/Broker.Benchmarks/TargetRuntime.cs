using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Broker.Benchmarks.Clients;

namespace Broker.Benchmarks;

/// <summary>How long a broker started by the tool took to accept an AMQP handshake.</summary>
internal sealed record StartupResult(double MillisecondsToHandshake, long? RssKb, double? CpuMs, int Attempts)
{
    /// <summary>Until the web UI's page and the overview API both answered 200 (ui= targets).</summary>
    public double? MillisecondsToUi { get; init; }

    /// <summary>RSS after 30 s of an open overview page's polling (ui= targets).</summary>
    public long? RssWithUiKb { get; set; }
}

/// <summary>
/// A restart in progress or done: seconds are counted from the moment the restart was initiated
/// (SIGTERM or SIGKILL sent, or the restart= command launched).
/// </summary>
internal sealed class RestartResult
{
    /// <summary>Stopwatch timestamp of the signal or of launching the restart command.</summary>
    public long Origin { get; init; }

    /// <summary>Until the broker was down: its process exited, or its listener closed.</summary>
    public double? DownSeconds { get; set; }

    /// <summary>Until a completed AMQP handshake.</summary>
    public double? HandshakeSeconds { get; set; }

    /// <summary>How long the restart= command ran (restart= targets).</summary>
    public double? CommandSeconds { get; set; }

    /// <summary>Broker CPU (µs) when the restart began (restart= targets: the same process keeps running).</summary>
    public double? CpuAtOriginUs { get; init; }

    public List<string> Notes { get; } = [];

    public double Since() => (Stopwatch.GetTimestamp() - Origin) / (double)Stopwatch.Frequency;
}

/// <summary>
/// A target ready to measure: its URI, the broker pid to read /proc from, and the process when the
/// tool started it (killed on dispose).
/// </summary>
internal sealed class TargetRuntime : IAsyncDisposable
{
    private Process? _started;
    private string? _startCommand;

    private TargetRuntime(TargetSpec spec, Uri uri)
    {
        Spec = spec;
        Uri = uri;
    }

    public TargetSpec Spec { get; }

    public string Name => Spec.Name;

    public Uri Uri { get; }

    public int? Pid { get; private set; }

    /// <summary>Why the pid is unknown (CPU and RSS then show '-').</summary>
    public string? PidProblem { get; private set; }

    public StartupResult? Startup { get; private set; }

    /// <summary>Set when the target could not be started or reached: it is skipped.</summary>
    public string? Error { get; private set; }

    public string ServerProduct { get; private set; } = "?";

    public string? LogPath { get; private set; }

    /// <summary>Whether the recovery scenario can restart this target (start= or restart= given).</summary>
    public bool CanRestart => _startCommand != null || Spec.Restart != null;

    public static async Task<TargetRuntime> PrepareAsync(TargetSpec spec, Options options, CancellationToken ct)
    {
        var uriText = spec.Uri;
        var start = spec.Start;
        if (uriText.Contains("{port}", StringComparison.Ordinal) || (start?.Contains("{port}", StringComparison.Ordinal) ?? false))
        {
            var port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            uriText = uriText.Replace("{port}", port, StringComparison.Ordinal);
            start = start?.Replace("{port}", port, StringComparison.Ordinal);
        }

        if (spec.Ui is not null && (spec.Ui.Contains("{uiport}", StringComparison.Ordinal) || (start?.Contains("{uiport}", StringComparison.Ordinal) ?? false)))
        {
            var uiPort = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            spec = spec with { Ui = spec.Ui.Replace("{uiport}", uiPort, StringComparison.Ordinal) };
            start = start?.Replace("{uiport}", uiPort, StringComparison.Ordinal);
        }

        var t = new TargetRuntime(spec, new Uri(uriText));
        try
        {
            if (start != null)
            {
                await t.StartAsync(start, options, ct);
            }

            if (t.Error == null)
            {
                if (spec.Pid != null || t.Pid == null)
                {
                    try
                    {
                        t.Pid = ProcessProbe.ResolvePid(spec.Pid ?? "auto", t.Uri);
                    }
                    catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                    {
                        t.PidProblem = e.Message;
                    }
                }

                await using var probe = await RawConnection.ConnectAsync(t.Uri, "bench-probe", ct).WaitAsync(TimeSpan.FromSeconds(15), ct);
                t.ServerProduct = probe.ServerProduct;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            t.Error ??= $"cannot reach {t.Uri}: {e.Message}";
        }

        return t;
    }

    private async Task StartAsync(string command, Options options, CancellationToken ct)
    {
        LogPath = Spec.Log ?? Path.Combine(Path.GetTempPath(), $"broker-bench-{Spec.Name}.log");
        _startCommand = command;
        var sw = Stopwatch.StartNew();
        Launch(append: false);
        var (attempts, error) = await WaitForHandshakeAsync(sw, options.StartTimeoutSeconds, ct);
        if (error != null)
        {
            Error = error;
            return;
        }

        var ms = sw.Elapsed.TotalMilliseconds;
        var cpu = ProcessProbe.CpuMicroseconds(Pid) / 1000.0;
        var rss = ProcessProbe.RssKb(Pid);
        double? msToUi = null;
        if (Spec.Ui is { } ui)
        {
            msToUi = await WebUiProbe.WaitUntilAnsweringAsync(new Uri(ui), Uri, sw, options.StartTimeoutSeconds, ct);
            if (msToUi is null)
            {
                Error = $"the web UI at {ui} did not answer within {options.StartTimeoutSeconds}s (log: {LogPath})";
                return;
            }
        }

        Startup = new StartupResult(ms, rss, cpu, attempts) { MillisecondsToUi = msToUi };
        if (Spec.Ui is { } open)
        {
            await WebUiProbe.PollLikeAnOpenOverviewAsync(new Uri(open), Uri, TimeSpan.FromSeconds(30), ct);
            Startup.RssWithUiKb = ProcessProbe.RssKb(Pid);
        }
    }

    private void Launch(bool append)
    {
        // exec: the shell becomes the broker, so the pid we hold is the broker's.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec {_startCommand} {(append ? ">>" : ">")} '{LogPath!.Replace("'", "'\\''", StringComparison.Ordinal)}' 2>&1");
        _started = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start: {_startCommand}");
        Pid = _started.Id;
    }

    /// <summary>Polls for a completed handshake every 10 ms; returns the attempts, or an error text.</summary>
    private async Task<(int Attempts, string? Error)> WaitForHandshakeAsync(Stopwatch sw, double timeoutSeconds, CancellationToken ct)
    {
        var attempts = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            attempts++;
            if (_started is { HasExited: true })
            {
                return (attempts, $"exited with code {_started.ExitCode} before accepting a handshake (log: {LogPath}): {LogTail()}");
            }

            try
            {
                await using var c = await RawConnection.ConnectAsync(Uri, "bench-startup", ct).WaitAsync(TimeSpan.FromSeconds(5), ct);
                return (attempts, null);
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException or InvalidDataException)
            {
                if (sw.Elapsed.TotalSeconds > timeoutSeconds)
                {
                    return (attempts, $"no AMQP handshake within {timeoutSeconds}s ({e.Message}; log: {LogPath})");
                }

                await Task.Delay(10, ct);
            }
        }
    }

    /// <summary>
    /// Restarts the broker and waits for a completed handshake. A start= target is stopped with SIGTERM
    /// (SIGKILL when crash, or when it has not exited within 60 s) and started again with the same
    /// command, port and data; a restart= target runs its command, and counts as down once its
    /// listener is closed. Sets <see cref="Error"/> when the broker does not come back.
    /// </summary>
    public async Task<RestartResult> RestartAsync(bool crash, double timeoutSeconds, CancellationToken ct)
    {
        var port = Uri.IsDefaultPort || Uri.Port <= 0 ? 5672 : Uri.Port;
        if (_startCommand != null && _started != null)
        {
            var old = _started;
            var result = new RestartResult { Origin = Stopwatch.GetTimestamp() };
            if (!old.HasExited)
            {
                if (crash)
                {
                    old.Kill();
                }
                else
                {
                    await FsyncCounter.Signal("TERM", old.Id);
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(TimeSpan.FromSeconds(60));
                try
                {
                    await old.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    result.Notes.Add("**did not exit within 60 s of SIGTERM: killed**");
                    old.Kill();
                    await old.WaitForExitAsync(ct);
                }
            }

            result.DownSeconds = result.Since();
            if (!crash && old.ExitCode != 0)
            {
                result.Notes.Add($"exit code {old.ExitCode} after SIGTERM");
            }

            old.Dispose();
            _started = null;
            Launch(append: true);
            await FinishRestartAsync(result, timeoutSeconds, ct);
            return result;
        }

        if (Spec.Restart is not { } command)
        {
            throw new InvalidOperationException("neither start= nor restart= was given");
        }

        var cpu = ProcessProbe.CpuMicroseconds(Pid);
        var restartLog = Spec.Log ?? Path.Combine(Path.GetTempPath(), $"broker-bench-{Spec.Name}-restart.log");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"( {command} ) >> '{restartLog.Replace("'", "'\\''", StringComparison.Ordinal)}' 2>&1");
        var r = new RestartResult { Origin = Stopwatch.GetTimestamp(), CpuAtOriginUs = cpu };
        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"cannot run: {command}");
        var commandTask = Task.Run(async () =>
        {
            await proc.WaitForExitAsync(ct);
            return r.Since();
        }, CancellationToken.None);

        // Down once the listener is gone; if the command finishes without that being seen, go on anyway.
        while (ProcessProbe.IsListening(port) && !proc.HasExited && r.Since() < timeoutSeconds)
        {
            await Task.Delay(5, ct);
        }

        if (!ProcessProbe.IsListening(port))
        {
            r.DownSeconds = r.Since();
        }
        else
        {
            r.Notes.Add("the listener was never seen closed");
        }

        await FinishRestartAsync(r, timeoutSeconds, ct);
        r.CommandSeconds = await commandTask.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds), ct);
        if (proc.ExitCode != 0)
        {
            r.Notes.Add($"**restart command exited with code {proc.ExitCode}** (log: {restartLog})");
        }

        if (Spec.Pid is null or "auto" || Spec.Pid.StartsWith("auto:", StringComparison.Ordinal))
        {
            try
            {
                Pid = ProcessProbe.ResolvePid(Spec.Pid ?? "auto", Uri);
            }
            catch (InvalidOperationException e)
            {
                PidProblem = e.Message;
            }
        }

        return r;
    }

    private async Task FinishRestartAsync(RestartResult r, double timeoutSeconds, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var (_, error) = await WaitForHandshakeAsync(sw, timeoutSeconds, ct);
        if (error != null)
        {
            Error = "after restart: " + error;
            throw new InvalidOperationException(Error);
        }

        r.HandshakeSeconds = r.Since();
    }

    /// <summary>
    /// For a started broker whose process has exited on its own (it crashed): marks the target
    /// unavailable and returns why, with the end of its log; null while it runs.
    /// </summary>
    public string? CheckExited()
    {
        if (_started is not { HasExited: true } p)
        {
            return null;
        }

        Error ??= $"the broker process exited with code {p.ExitCode} (log: {LogPath}): {LogTail()}";
        return Error;
    }

    /// <summary>Length of the started broker's log, to read what a restart appends after it.</summary>
    public long LogLength() => LogPath != null && File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;

    /// <summary>The lines the started broker's log gained since the given length.</summary>
    public List<string> LogSince(long offset)
    {
        if (LogPath == null || !File.Exists(LogPath))
        {
            return [];
        }

        try
        {
            using var f = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            f.Seek(Math.Min(offset, f.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(f);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            return lines;
        }
        catch (IOException)
        {
            return [];
        }
    }

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogPath!).ToList();

            // A crash ends with a stack trace: show from the exception's line on.
            var crash = lines.FindLastIndex(l => l.StartsWith("Unhandled exception", StringComparison.Ordinal));
            return string.Join(" / ", crash >= 0 ? lines.Skip(crash).Take(4) : lines.TakeLast(5));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started is not { } p)
        {
            return;
        }

        try
        {
            if (!p.HasExited)
            {
                // Wrapper scripts (RabbitMQ's rabbitmq-server runs the Erlang VM under su) may exit on
                // SIGTERM and leave their child running: note the tree first and stop what outlives the root.
                var descendants = ProcessProbe.Descendants(p.Id);
                await FsyncCounter.Signal("TERM", p.Id);
                if (!await ExitsWithinAsync(p, TimeSpan.FromSeconds(10)))
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }

                await StopLeftoversAsync(descendants);
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            p.Dispose();
        }
    }

    private static async Task<bool> ExitsWithinAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM to the processes still alive, then SIGKILL to those alive 10 s later.</summary>
    private static async Task StopLeftoversAsync(List<int> pids)
    {
        var alive = pids.FindAll(ProcessProbe.IsAlive);
        foreach (var pid in alive)
        {
            await FsyncCounter.Signal("TERM", pid);
        }

        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (alive.Exists(ProcessProbe.IsAlive) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }

        foreach (var pid in alive.FindAll(ProcessProbe.IsAlive))
        {
            await FsyncCounter.Signal("KILL", pid);
        }
    }
}
