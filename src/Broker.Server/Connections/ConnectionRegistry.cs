namespace Broker.Server.Connections;

/// <summary>The connections of one broker, for heartbeats, shutdown and statistics.</summary>
internal sealed class ConnectionRegistry
{
    private readonly Lock _lock = new();
    private readonly HashSet<AmqpConnection> _connections = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    public void Add(AmqpConnection connection)
    {
        lock (_lock)
        {
            _connections.Add(connection);
        }
    }

    public void Remove(AmqpConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    public AmqpConnection[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _connections];
        }
    }
}
