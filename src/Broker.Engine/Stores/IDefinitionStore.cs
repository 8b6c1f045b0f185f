namespace Broker.Engine.Stores;

/// <summary>Keeps definitions across restarts.</summary>
public interface IDefinitionStore
{
    /// <summary>
    /// Records a change. Called in the order the changes happen (under the vhost's lock); the task
    /// completes once the change is on disk.
    /// </summary>
    Task Persist(DefinitionChange change);

    /// <summary>Completes once every change recorded so far is on disk.</summary>
    Task WhenPersisted();
}

/// <summary>Keeps nothing: for brokers without a data directory and for engine tests.</summary>
public sealed class NoDefinitionStore : IDefinitionStore
{
    public Task Persist(DefinitionChange change) => Task.CompletedTask;

    public Task WhenPersisted() => Task.CompletedTask;
}
