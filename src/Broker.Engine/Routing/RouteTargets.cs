using Broker.Engine.Exchanges;
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

    public List<MessageQueue> Queues => _queues;

    internal List<IBindingDestination> Matches => _matches;

    internal List<IBindingDestination> Pending => _pending;

    /// <summary>Forgets the queues of the previous publish.</summary>
    public void Clear()
    {
        _queues.Clear();
        _queueSet.Clear();
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
