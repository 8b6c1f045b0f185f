namespace Broker.Engine.Stores;

/// <summary>Told when every durable copy of a published message is on disk (or failed to get there).</summary>
public interface IPersistListener
{
    /// <summary>Called from the store's writer thread, holding no locks.</summary>
    void OnPersisted(ulong confirmSequence, bool success);

    /// <summary>After a batch of <see cref="OnPersisted"/> calls: time to send the confirms out.</summary>
    void OnPersistBatchCompleted();
}
