namespace Broker.Engine;

/// <summary>
/// RabbitMQ's resource alarms: while memory use is above the high watermark or free disk space is
/// below its limit, publishing connections are blocked (they get connection.blocked and are no
/// longer read) until every alarm clears. An alarm is on when the resource monitor measured it or
/// when it was raised by hand (an operator or a resilience test); the monitor never clears one raised by hand.
/// </summary>
public sealed class ResourceAlarms
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _cleared = NewCleared();
    private bool _memoryMeasured;
    private bool _diskMeasured;
    private bool _memoryRaised;
    private bool _diskRaised;

    /// <summary>Raised (outside the lock) when the set of active alarms changes.</summary>
    public event Action<bool>? Changed;

    public bool IsActive
    {
        get
        {
            lock (_lock)
            {
                return ActiveLocked;
            }
        }
    }

    /// <summary>The reason text connection.blocked carries, as RabbitMQ words it.</summary>
    public string Reason
    {
        get
        {
            lock (_lock)
            {
                return MemoryAlarm ? "low on memory" : DiskAlarm ? "low on disk space" : string.Empty;
            }
        }
    }

    /// <summary>The memory alarm is on (measured or raised by hand).</summary>
    public bool MemoryAlarm => _memoryMeasured || _memoryRaised;

    /// <summary>The disk alarm is on (measured or raised by hand).</summary>
    public bool DiskAlarm => _diskMeasured || _diskRaised;

    /// <summary>What the resource monitor last measured for memory.</summary>
    public bool MemoryMeasured => _memoryMeasured;

    /// <summary>What the resource monitor last measured for disk space.</summary>
    public bool DiskMeasured => _diskMeasured;

    private bool ActiveLocked => _memoryMeasured || _diskMeasured || _memoryRaised || _diskRaised;

    /// <summary>The resource monitor's finding for memory.</summary>
    public void SetMemory(bool active) => Set(ref _memoryMeasured, active);

    /// <summary>The resource monitor's finding for disk space.</summary>
    public void SetDisk(bool active) => Set(ref _diskMeasured, active);

    /// <summary>Raises or clears the memory alarm by hand, whatever memory use is.</summary>
    public void RaiseMemory(bool active) => Set(ref _memoryRaised, active);

    /// <summary>Raises or clears the disk alarm by hand, whatever free space there is.</summary>
    public void RaiseDisk(bool active) => Set(ref _diskRaised, active);

    /// <summary>Completes when no alarm is active.</summary>
    public Task WhenCleared()
    {
        lock (_lock)
        {
            return ActiveLocked ? _cleared.Task : Task.CompletedTask;
        }
    }

    private void Set(ref bool flag, bool active)
    {
        bool wasActive;
        bool isActive;
        TaskCompletionSource? release = null;
        lock (_lock)
        {
            if (flag == active)
            {
                return;
            }

            wasActive = ActiveLocked;
            flag = active;
            isActive = ActiveLocked;
            if (wasActive && !isActive)
            {
                release = _cleared;
                _cleared = NewCleared();
            }
        }

        release?.TrySetResult();
        if (wasActive != isActive)
        {
            Changed?.Invoke(isActive);
        }
    }

    private static TaskCompletionSource NewCleared() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
