using Broker.Engine.Stores;

namespace Broker.Engine.Tests.Support;

/// <summary>Keeps the definition changes the engine records, in order.</summary>
internal sealed class RecordingDefinitionStore : IDefinitionStore
{
    private readonly Lock _lock = new();
    private readonly List<DefinitionChange> _changes = [];

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

    public Task Persist(DefinitionChange change)
    {
        lock (_lock)
        {
            _changes.Add(change);
        }

        return Task.CompletedTask;
    }

    public Task WhenPersisted() => Task.CompletedTask;
}
