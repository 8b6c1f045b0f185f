using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Queues;

namespace Broker.Engine.Routing;

/// <summary>
/// Reusable scratch space for one publish's routing: the queues it reaches (each once) and the
/// exchanges visited on the way. One per channel; cleared before each publish.
/// </summary>
public sealed class RouteTargets
{
    private const int ScanLimit = 16;
    private readonly List<MessageQueue> _queues = [];
    private readonly HashSet<MessageQueue> _queueSet = [];
    private readonly List<Exchange> _visited = [];
    private readonly List<IBindingDestination> _pending = [];
    private readonly List<IBindingDestination> _matches = [];
    private readonly List<DelayedRoute> _delayed = [];

    public List<MessageQueue> Queues => _queues;

    /// <summary>Delayed message exchanges that hold the message instead of routing it now.</summary>
    public List<DelayedRoute> Delayed => _delayed;

    /// <summary>A delayed exchange was reached with an x-delay the plugin cannot read (it crashes the channel).</summary>
    public bool InvalidDelay { get; private set; }

    internal List<IBindingDestination> Matches => _matches;

    internal List<IBindingDestination> Pending => _pending;

    /// <summary>Forgets the queues of the previous publish.</summary>
    public void Clear()
    {
        _queues.Clear();
        _queueSet.Clear();
        _delayed.Clear();
        InvalidDelay = false;
        _visited.Clear();
        _pending.Clear();
        _matches.Clear();
    }

    internal void BeginTraversal()
    {
        _visited.Clear();
        _pending.Clear();
        _matches.Clear();
    }

    internal void AddQueue(MessageQueue queue)
    {
        // Most publishes reach a few queues: a scan is cheaper than hashing until the list grows.
        if (_queues.Count < ScanLimit)
        {
            if (!_queues.Contains(queue))
            {
                _queues.Add(queue);
            }

            return;
        }

        if (_queueSet.Count == 0)
        {
            _queueSet.UnionWith(_queues);
        }

        if (_queueSet.Add(queue))
        {
            _queues.Add(queue);
        }
    }

    /// <summary>
    /// True when <paramref name="exchange"/> holds the message for later (or cannot read its x-delay)
    /// rather than routing it now: then it matches nothing now, and its alternate exchange applies, as
    /// the plugin's route returning no queues does.
    /// </summary>
    internal bool TryDelay(DelayedMessageExchange exchange, ReadOnlySpan<byte> headersTable)
    {
        switch (DelayHeader.Read(headersTable, out var delay))
        {
            case DelayKind.None:
                return false;
            case DelayKind.Invalid:
                InvalidDelay = true;
                return true;
        }

        // Routing again for CC keys visits the exchange again: it holds the message once.
        foreach (var route in _delayed)
        {
            if (ReferenceEquals(route.Exchange, exchange))
            {
                return true;
            }
        }

        _delayed.Add(new DelayedRoute(exchange, delay));
        return true;
    }

    internal bool Visit(Exchange exchange)
    {
        if (_visited.Contains(exchange))
        {
            return false;
        }

        _visited.Add(exchange);
        return true;
    }
}
