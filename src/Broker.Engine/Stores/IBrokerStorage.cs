namespace Broker.Engine.Stores;

/// <summary>
/// What keeps a broker's state: the stores the engine writes to, and the recovery step that rebuilds
/// the engine from them at start. The composition root opens one, builds the engine over its
/// <see cref="Messages"/>, calls <see cref="Recover"/>, then attaches <see cref="Definitions"/>.
/// Disposing writes out and syncs what is pending.
/// </summary>
public interface IBrokerStorage : IDisposable
{
    /// <summary>Where queues keep persistent messages and what does not fit in memory.</summary>
    IMessageStore Messages { get; }

    /// <summary>Where definition changes go once recovery is done.</summary>
    IDefinitionStore Definitions { get; }

    /// <summary>
    /// Rebuilds vhosts, users, permissions, durable exchanges, queues (with their messages) and
    /// bindings into <paramref name="engine"/>, without recording them again. Returns false when
    /// there was nothing to recover: a fresh broker.
    /// </summary>
    bool Recover(BrokerEngine engine);
}

/// <summary>Keeps nothing across restarts: messages and definitions live in memory only. For engine tests.</summary>
public sealed class InMemoryStorage : IBrokerStorage
{
    public IMessageStore Messages { get; } = new InMemoryMessageStore();

    public IDefinitionStore Definitions { get; } = new NoDefinitionStore();

    public bool Recover(BrokerEngine engine) => false;

    public void Dispose()
    {
    }
}
