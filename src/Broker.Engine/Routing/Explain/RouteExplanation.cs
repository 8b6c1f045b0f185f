using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Queues;

namespace Broker.Engine.Routing.Explain;

/// <summary>
/// Where a message would go from an exchange and why: every exchange visited with its bindings'
/// verdicts, per routing key (the published one, then CC and BCC keys), and the queues reached as the
/// publish operation itself routes them.
/// </summary>
public sealed class RouteExplanation
{
    public List<ExchangeVisit> Visits { get; } = [];

    /// <summary>The queues the message reaches now (routed by <see cref="VirtualHosts.VirtualHost.Route(Exchanges.Exchange, ref Messages.Message, ReadOnlySpan{byte}, RouteTargets, Tracing.TraceOrigin?)"/>).</summary>
    public List<MessageQueue> Queues { get; } = [];

    /// <summary>Delayed message exchanges that would hold the message, with the delay.</summary>
    public List<DelayedRoute> Delayed { get; } = [];

    /// <summary>The x-delay header cannot be read: the delayed exchange's plugin fails the publish.</summary>
    public bool InvalidDelay { get; set; }
}
