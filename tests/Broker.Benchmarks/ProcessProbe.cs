using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Broker.Benchmarks;

/// <summary>Reads CPU time and memory of processes and of the host from /proc (Linux only).</summary>
internal static class ProcessProbe
{
    private static readonly Lazy<int> LazyClockTicks = new(ReadClockTicks);

    /// <summary>sysconf(_SC_CLK_TCK), read once with <c>getconf CLK_TCK</c>; 100 if that fails.</summary>
    public static int ClockTicksPerSecond => LazyClockTicks.Value;

    /// <summary>
    /// CPU time of a process and its live descendants in clock ticks: utime+stime+cutime+cstime of
    /// each (cutime/cstime hold children already reaped, so a child exiting between two samples is
    /// still counted once). Null when the process is gone. For a single-process broker this is just
    /// its utime+stime (plus whatever it ran and waited for).
    /// </summary>
    public static long? CpuTicks(int pid)
    {
        var tree = Tree(pid);
        return tree.Count == 0 ? null : tree.Sum(p => p.CpuTicks);
    }

    /// <summary>CPU time of a process tree in microseconds, or null.</summary>
    public static double? CpuMicroseconds(int? pid) =>
        pid is { } p && CpuTicks(p) is { } t ? t * 1_000_000.0 / ClockTicksPerSecond : null;

    /// <summary>VmRSS of a process plus its live descendants in KiB, or null.</summary>
    public static long? RssKb(int? pid)
    {
        if (pid is not { } p)
        {
            return null;
        }

        long total = 0;
        var any = false;
        foreach (var proc in Tree(p))
        {
            if (ReadVmRss(proc.Pid) is { } kb)
            {
                total += kb;
                any = true;
            }
        }

        return any ? total : null;
    }

    private static long? ReadVmRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private readonly record struct ProcStat(int Pid, int ParentPid, long CpuTicks);

    private static ProcStat? ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
            // rest[0] is field 3 (state), rest[1] field 4 (ppid); utime, stime, cutime, cstime are fields 14-17.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long F(int field) => long.Parse(rest[field - 3], CultureInfo.InvariantCulture);
            return new ProcStat(pid, (int)F(4), F(14) + F(15) + F(16) + F(17));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The live descendants of a process (children, grandchildren, ...).</summary>
    public static List<int> Descendants(int root)
    {
        var tree = Tree(root);
        var pids = new List<int>(tree.Count);
        for (var i = 1; i < tree.Count; i++)
        {
            pids.Add(tree[i].Pid);
        }

        return pids;
    }

    /// <summary>The process and its live descendants (empty when the process is gone).</summary>
    private static List<ProcStat> Tree(int root)
    {
        var result = new List<ProcStat>();
        if (ReadStat(root) is not { } r)
        {
            return result;
        }

        result.Add(r);
        var children = new Dictionary<int, List<ProcStat>>();
        foreach (var p in AllPids())
        {
            if (p != root && ReadStat(p) is { } st)
            {
                if (!children.TryGetValue(st.ParentPid, out var list))
                {
                    children[st.ParentPid] = list = [];
                }

                list.Add(st);
            }
        }

        for (var i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i].Pid, out var kids))
            {
                result.AddRange(kids);
            }
        }

        return result;
    }

    /// <summary>This process's CPU time (all threads) in microseconds.</summary>
    public static double SelfCpuMicroseconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.Ticks / 10.0;
    }

    /// <summary>Busy and total jiffies of the whole host, summed over all cores (first line of /proc/stat).</summary>
    public static (long Busy, long Total) HostCpuTicks()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();

            // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
            var total = f.Take(8).Sum();
            var idle = f[3] + (f.Length > 4 ? f[4] : 0);
            return (total - idle, total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>
    /// Resolves a target's pid= value: a number; "auto" (the process listening on the URI's TCP port);
    /// "auto:REGEX" (the single process whose command line matches, this process and its ancestors excluded).
    /// </summary>
    public static int ResolvePid(string spec, Uri uri)
    {
        if (int.TryParse(spec, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            return Directory.Exists($"/proc/{pid}") ? pid : throw new InvalidOperationException($"no process {pid}");
        }

        if (spec == "auto")
        {
            var port = uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port;
            return ListeningPid(port) ?? throw new InvalidOperationException($"no process found listening on TCP port {port} (give pid=N)");
        }

        if (spec.StartsWith("auto:", StringComparison.Ordinal))
        {
            var regex = new Regex(spec[5..], RegexOptions.CultureInvariant);
            var excluded = SelfAndAncestors();
            var matches = new List<(int Pid, string Cmd)>();
            foreach (var p in AllPids())
            {
                if (excluded.Contains(p))
                {
                    continue;
                }

                var cmd = CommandLine(p);
                if (cmd != null && regex.IsMatch(cmd))
                {
                    matches.Add((p, cmd));
                }
            }

            return matches.Count switch
            {
                1 => matches[0].Pid,
                0 => throw new InvalidOperationException($"no process command line matches '{regex}'"),
                _ => throw new InvalidOperationException($"{matches.Count} processes match '{regex}': " +
                    string.Join("; ", matches.Select(m => $"{m.Pid} {Truncate(m.Cmd, 60)}"))),
            };
        }

        throw new ArgumentException($"bad pid '{spec}' (a number, auto or auto:REGEX)");
    }

    /// <summary>Whether some process listens on the TCP port (IPv4 or IPv6); cheap, reads only /proc/net/tcp*.</summary>
    public static bool IsListening(int port) => ListeningInodes(port).Count > 0;

    /// <summary>The process owning a listening TCP socket on the port (IPv4 or IPv6), found through socket inodes.</summary>
    public static int? ListeningPid(int port)
    {
        var inodes = ListeningInodes(port);
        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (var p in AllPids())
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{p}/fd"))
                {
                    var link = new FileInfo(fd).LinkTarget;
                    if (link != null && inodes.Contains(link))
                    {
                        return p;
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    private static HashSet<string> ListeningInodes(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A")
                {
                    continue;
                }

                var local = f[1];
                var localPort = int.Parse(local.AsSpan(local.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (localPort == port)
                {
                    inodes.Add($"socket:[{f[9]}]");
                }
            }
        }

        return inodes;
    }

    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    private static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
            {
                yield return p;
            }
        }
    }

    private static HashSet<int> SelfAndAncestors()
    {
        var set = new HashSet<int>();
        var p = Environment.ProcessId;
        while (p > 1 && set.Add(p))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{p}/stat");
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                p = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                break;
            }
        }

        return set;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "...";

    private static int ReadClockTicks()
    {
        try
        {
            var psi = new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p != null)
            {
                var text = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hz) && hz > 0)
                {
                    return hz;
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        return 100;
    }
}
