using Broker.Engine;
using Broker.Engine.Stores;

namespace Broker.Storage.Tests.Support;

/// <summary>A definitions store that keeps the changes it is given, in order, so tests can see what is recorded.</summary>
internal sealed class RecordingDefinitionStore : IDefinitionStore
{
    public List<DefinitionChange> Changes { get; } = [];

    public Task Persist(DefinitionChange change)
    {
        lock (Changes)
        {
            Changes.Add(change);
        }

        return Task.CompletedTask;
    }

    public Task WhenPersisted() => Task.CompletedTask;

    /// <summary>An in-memory engine with the defaults, recording into a fresh store from then on.</summary>
    public static (BrokerEngine Engine, RecordingDefinitionStore Store) Engine()
    {
        var engine = BrokerEngine.InMemory();
        var store = new RecordingDefinitionStore();
        engine.Definitions = store;
        return (engine, store);
    }
}
