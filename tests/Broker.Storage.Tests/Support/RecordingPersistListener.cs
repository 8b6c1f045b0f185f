using Broker.Engine.Stores;

namespace Broker.Storage.Tests.Support;

/// <summary>Records persist notifications; an optional probe captures state at the moment of the callback.</summary>
internal sealed class RecordingPersistListener : IPersistListener
{
    private readonly Lock _lock = new();
    private readonly List<(ulong Sequence, bool Success)> _persisted = [];
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _batches;

    /// <summary>Called inside <see cref="OnPersisted"/> (on the writer thread); its result is recorded.</summary>
    public Func<bool>? Probe { get; set; }

    public List<bool> ProbeResults { get; } = [];

    public Task FirstPersisted => _first.Task;

    public int Batches => Volatile.Read(ref _batches);

    public List<(ulong Sequence, bool Success)> Persisted
    {
        get
        {
            lock (_lock)
            {
                return [.. _persisted];
            }
        }
    }

    public void OnPersisted(ulong confirmSequence, bool success)
    {
        lock (_lock)
        {
            _persisted.Add((confirmSequence, success));
            if (Probe is { } probe)
            {
                ProbeResults.Add(probe());
            }
        }

        _first.TrySetResult();
    }

    public void OnPersistBatchCompleted() => Interlocked.Increment(ref _batches);
}
