using Broker.Engine;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Hosting;

/// <summary>
/// Watches memory and disk once a second and raises or clears the engine's alarms. The memory limit is
/// what the runtime may use: the container's (cgroup) limit when there is one, not the host's RAM.
/// </summary>
internal sealed class ResourceMonitor
{
    private readonly BrokerEngine _engine;
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private long _lastDiskCheck;
    private long _lastCollect;

    public ResourceMonitor(BrokerEngine engine, ServerOptions options, ILogger logger)
    {
        _engine = engine;
        _options = options;
        _logger = logger;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        MemoryLimit = options.MemoryHighWatermarkBytes > 0
            ? options.MemoryHighWatermarkBytes
            : (long)(available * options.MemoryHighWatermark);

        // Queues start keeping new messages on disk well before the alarm would block publishers.
        engine.HeadMemory.Limit = Math.Min(engine.HeadMemory.Limit, MemoryLimit / 2);
        Log.MemoryLimit(logger, MemoryLimit / (1024 * 1024), available / (1024 * 1024));
    }

    public long MemoryLimit { get; }

    public void Check(long nowMs)
    {
        var used = Environment.WorkingSet;
        var memoryAlarm = _engine.Alarms.MemoryMeasured;
        if (memoryAlarm && nowMs - _lastCollect > 5000)
        {
            // Freed messages stay in the runtime's pools and heap until collected: give memory back
            // to the system before deciding the alarm still holds (rare: only while alarmed).
            _lastCollect = nowMs;
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            used = Environment.WorkingSet;
        }

        if (!memoryAlarm && used > MemoryLimit)
        {
            Log.MemoryAlarm(_logger, used / (1024 * 1024), MemoryLimit / (1024 * 1024));
            _engine.Alarms.SetMemory(true);
        }
        else if (memoryAlarm && used < MemoryLimit * 0.95)
        {
            Log.MemoryAlarmCleared(_logger, used / (1024 * 1024));
            _engine.Alarms.SetMemory(false);
        }

        if (_options.DataDirectory is null || nowMs - _lastDiskCheck < 5000)
        {
            return;
        }

        _lastDiskCheck = nowMs;
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(_options.DataDirectory)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return;
        }

        var diskAlarm = _engine.Alarms.DiskMeasured;
        if (!diskAlarm && free < _options.DiskFreeLimit)
        {
            Log.DiskAlarm(_logger, free / (1024 * 1024), _options.DiskFreeLimit / (1024 * 1024));
            _engine.Alarms.SetDisk(true);
        }
        else if (diskAlarm && free >= _options.DiskFreeLimit)
        {
            Log.DiskAlarmCleared(_logger, free / (1024 * 1024));
            _engine.Alarms.SetDisk(false);
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "memory high watermark {LimitMb} MB ({AvailableMb} MB available to the process)")]
    public static partial void MemoryLimit(ILogger logger, long limitMb, long availableMb);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "memory alarm: {UsedMb} MB used, above the high watermark of {LimitMb} MB; blocking publishers")]
    public static partial void MemoryAlarm(ILogger logger, long usedMb, long limitMb);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "memory alarm cleared: {UsedMb} MB used")]
    public static partial void MemoryAlarmCleared(ILogger logger, long usedMb);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "disk alarm: {FreeMb} MB free, below the limit of {LimitMb} MB; blocking publishers")]
    public static partial void DiskAlarm(ILogger logger, long freeMb, long limitMb);

    [LoggerMessage(EventId = 114, Level = LogLevel.Information, Message = "disk alarm cleared: {FreeMb} MB free")]
    public static partial void DiskAlarmCleared(ILogger logger, long freeMb);
}
