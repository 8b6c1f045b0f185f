using System.Diagnostics;
using System.Globalization;

namespace Broker.Benchmarks;

/// <summary>fsync and fdatasync calls of a process over a window, and the messages confirmed meanwhile.</summary>
internal sealed record FsyncCount(long Fsync, long Fdatasync, long Confirmed, double Seconds)
{
    public long Total => Fsync + Fdatasync;
}

/// <summary>
/// Counts a broker's fsync/fdatasync system calls with
/// <c>strace -f -qq -c -e trace=fsync,fdatasync -p PID</c> (all threads), stopped with SIGINT after the
/// window. ptrace stops the broker at every system call, so this slows it down a lot: run it only in a
/// separate sub-run, never while CPU or throughput is being measured.
/// </summary>
internal static class FsyncCounter
{
    private static readonly Lazy<string?> LazyStrace = new(() => FindOnPath("strace"));

    /// <summary>The strace executable, or null when it is not installed (apt-get install -y strace).</summary>
    public static string? StracePath => LazyStrace.Value;

    /// <summary>Traces pid for the given seconds; confirmed() is read right before strace starts and right after it has detached.</summary>
    public static async Task<FsyncCount> CountAsync(int pid, double seconds, Func<long> confirmed, CancellationToken ct)
    {
        var strace = StracePath ?? throw new InvalidOperationException("strace is not installed");
        var output = Path.Combine(Path.GetTempPath(), $"broker-bench-strace-{Environment.ProcessId}-{pid}.txt");
        File.Delete(output);
        var psi = new ProcessStartInfo(strace)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var a in new[] { "-f", "-qq", "-c", "-e", "trace=fsync,fdatasync", "-o", output, "-p", pid.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        var c0 = confirmed();
        var t0 = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start strace");
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await Task.WhenAny(p.WaitForExitAsync(ct), Task.Delay(TimeSpan.FromSeconds(seconds), ct));
            if (p.HasExited)
            {
                throw new InvalidOperationException($"strace exited with code {p.ExitCode}: {(await stderr).Trim()}");
            }
        }
        finally
        {
            if (!p.HasExited)
            {
                // SIGINT: strace detaches from every thread, then writes its summary.
                await Signal("INT", p.Id);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await p.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    p.Kill();
                }
            }
        }

        var c1 = confirmed();
        var t1 = Stopwatch.GetTimestamp();
        var (fsync, fdatasync, rows) = Parse(File.Exists(output) ? await File.ReadAllLinesAsync(output, ct) : []);
        File.Delete(output);
        var err = (await stderr).Trim();
        if (rows == 0 && err.Length > 0)
        {
            // No summary, and strace complained (e.g. "attach: ptrace(PTRACE_SEIZE, ...): Operation not permitted").
            throw new InvalidOperationException($"strace: {err}");
        }

        return new FsyncCount(fsync, fdatasync, c1 - c0, (t1 - t0) / (double)Stopwatch.Frequency);
    }

    /// <summary>
    /// Reads the -c summary: "% time seconds usecs/call calls [errors] syscall" rows. No rows at all means
    /// no call was made (strace prints an empty summary or none).
    /// </summary>
    internal static (long Fsync, long Fdatasync, int Rows) Parse(IEnumerable<string> lines)
    {
        long fsync = 0, fdatasync = 0;
        var rows = 0;
        foreach (var line in lines)
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5 || f[^1] is not ("fsync" or "fdatasync") ||
                !long.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var calls))
            {
                continue;
            }

            rows++;
            if (f[^1] == "fsync")
            {
                fsync += calls;
            }
            else
            {
                fdatasync += calls;
            }
        }

        return (fsync, fdatasync, rows);
    }

    /// <summary>Sends a signal with kill(1) (the BCL has no way to send one other than SIGKILL).</summary>
    public static async Task Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
