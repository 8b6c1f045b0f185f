using Broker.Engine;
using Broker.Engine.Stores;

namespace Broker.Storage.Tests.Support;

/// <summary>Keeps the definition changes the engine records, in order.</summary>
internal sealed class RecordingDefinitionStore : IDefinitionStore
{
    private readonly Lock _lock = new();
    private readonly List<DefinitionChange> _changes = [];

    /// <summary>A copy of what was recorded so far.</summary>
    public List<DefinitionChange> Changes
    {
        get
        {
            lock (_lock)
            {
                return [.. _changes];
            }
        }
    }

    /// <summary>An in-memory engine with the defaults, recording into a fresh store from then on.</summary>
    public static (BrokerEngine Engine, RecordingDefinitionStore Store) Engine()
    {
        var engine = BrokerEngine.InMemory();
        var store = new RecordingDefinitionStore();
        engine.Definitions = store;
        return (engine, store);
    }

    public Task Persist(DefinitionChange change)
    {
        lock (_lock)
        {
            _changes.Add(change);
        }

        return Task.CompletedTask;
    }

    public Task WhenPersisted() => Task.CompletedTask;

    /// <summary>Forgets what was recorded so far.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _changes.Clear();
        }
    }
}
