using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Broker.Benchmarks.Clients;

namespace Broker.Benchmarks;

/// <summary>How long a broker started by the tool took to accept an AMQP handshake.</summary>
internal sealed record StartupResult(double MillisecondsToHandshake, long? RssKb, double? CpuMs, int Attempts);

/// <summary>
/// A target ready to measure: its URI, the broker pid to read /proc from, and the process when the
/// tool started it (killed on dispose).
/// </summary>
internal sealed class TargetRuntime : IAsyncDisposable
{
    private Process? _started;

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

        // exec: the shell becomes the broker, so the pid we hold is the broker's.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec {command} > '{LogPath.Replace("'", "'\\''", StringComparison.Ordinal)}' 2>&1");
        var sw = Stopwatch.StartNew();
        _started = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start: {command}");
        Pid = _started.Id;
        var attempts = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            attempts++;
            if (_started.HasExited)
            {
                Error = $"exited with code {_started.ExitCode} before accepting a handshake (log: {LogPath}): {LogTail()}";
                return;
            }

            try
            {
                await using var c = await RawConnection.ConnectAsync(Uri, "bench-startup", ct).WaitAsync(TimeSpan.FromSeconds(5), ct);
                break;
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException or InvalidDataException)
            {
                if (sw.Elapsed.TotalSeconds > options.StartTimeoutSeconds)
                {
                    Error = $"no AMQP handshake within {options.StartTimeoutSeconds}s ({e.Message}; log: {LogPath})";
                    return;
                }

                await Task.Delay(10, ct);
            }
        }

        var ms = sw.Elapsed.TotalMilliseconds;
        var cpu = ProcessProbe.CpuMicroseconds(Pid) / 1000.0;
        Startup = new StartupResult(ms, ProcessProbe.RssKb(Pid), cpu, attempts);
    }

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogPath!);
            return string.Join(" / ", lines.TakeLast(5));
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
                // SIGTERM first so the broker can shut down cleanly, then SIGKILL.
                using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await p.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }
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
}
