namespace Broker.Engine.Routing;

/// <summary>What a binding leads to: a <see cref="Queues.MessageQueue"/> or another <see cref="Exchanges.Exchange"/>.</summary>
public interface IBindingDestination
{
    string Name { get; }

    bool Durable { get; }

    /// <summary>Set once deleted; routing skips it from then on.</summary>
    bool IsDeleted { get; }
}
