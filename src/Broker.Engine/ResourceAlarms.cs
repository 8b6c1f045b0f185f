namespace Broker.Engine;

/// <summary>
/// RabbitMQ's resource alarms: while memory use is above the high watermark or free disk space is
/// below its limit, publishing connections are blocked (they get connection.blocked and are no
/// longer read) until every alarm clears.
/// </summary>
public sealed class ResourceAlarms
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _cleared = NewCleared();
    private bool _memory;
    private bool _disk;

    /// <summary>Raised (outside the lock) when the set of active alarms changes.</summary>
    public event Action<bool>? Changed;

    public bool IsActive
    {
        get
        {
            lock (_lock)
            {
                return _memory || _disk;
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
                return _memory ? "low on memory" : _disk ? "low on disk space" : string.Empty;
            }
        }
    }

    public bool MemoryAlarm => _memory;

    public bool DiskAlarm => _disk;

    public void SetMemory(bool active) => Set(ref _memory, active);

    public void SetDisk(bool active) => Set(ref _disk, active);

    /// <summary>Completes when no alarm is active.</summary>
    public Task WhenCleared()
    {
        lock (_lock)
        {
            return _memory || _disk ? _cleared.Task : Task.CompletedTask;
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

            wasActive = _memory || _disk;
            flag = active;
            isActive = _memory || _disk;
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
