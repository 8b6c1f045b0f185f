using System.Diagnostics;

namespace Broker.Benchmarks;

/// <summary>CPU counters at one instant: broker process, this process, whole host.</summary>
internal readonly record struct Sample(long Timestamp, double? BrokerCpuUs, double LoadgenCpuUs, long HostBusy, long HostTotal)
{
    public static Sample Take(int? brokerPid)
    {
        var (busy, total) = ProcessProbe.HostCpuTicks();
        return new Sample(Stopwatch.GetTimestamp(), ProcessProbe.CpuMicroseconds(brokerPid), ProcessProbe.SelfCpuMicroseconds(), busy, total);
    }
}

/// <summary>What happened between two samples.</summary>
internal sealed record Window(double Seconds, double? BrokerCpuUs, double LoadgenCpuUs, double HostBusyCores)
{
    public static Window Between(Sample a, Sample b)
    {
        var seconds = (b.Timestamp - a.Timestamp) / (double)Stopwatch.Frequency;
        double? broker = a.BrokerCpuUs is { } x && b.BrokerCpuUs is { } y ? y - x : null;
        var hostTotal = b.HostTotal - a.HostTotal;
        var hostBusy = hostTotal > 0 ? (b.HostBusy - a.HostBusy) / (double)hostTotal * Environment.ProcessorCount : 0;
        return new Window(seconds, broker, b.LoadgenCpuUs - a.LoadgenCpuUs, hostBusy);
    }

    public double? BrokerCores => BrokerCpuUs / 1e6 / Seconds;

    public double LoadgenCores => LoadgenCpuUs / 1e6 / Seconds;

    public double? BrokerCpuPer(double count) => count > 0 ? BrokerCpuUs / count : null;

    public double? LoadgenCpuPer(double count) => count > 0 ? LoadgenCpuUs / count : null;

    /// <summary>
    /// Who limited the run: the load generator when it used nearly its share of the cores (half of
    /// them), or more than the broker while the two of them saturated the host; plus a warning when
    /// other processes took CPU during the measurement (the figures are then disturbed).
    /// </summary>
    public IEnumerable<string> BottleneckNotes()
    {
        var cores = Environment.ProcessorCount;
        var broker = BrokerCores ?? 0;
        var others = Math.Max(0, HostBusyCores - broker - LoadgenCores);
        var saturated = HostBusyCores >= 0.9 * cores;
        if (LoadgenCores >= 0.9 * cores / 2.0 || (saturated && others < 0.5 && LoadgenCores > broker))
        {
            yield return "**loadgen limited**";
        }
        else if (saturated)
        {
            yield return "host CPU saturated";
        }

        if (others >= 0.25)
        {
            yield return $"{(others >= 0.5 ? "**disturbed**: " : "")}other processes used {others:0.00} cores";
        }
    }
}
