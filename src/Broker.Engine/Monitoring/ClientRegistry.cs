using System.Collections.Concurrent;

namespace Broker.Engine.Monitoring;

/// <summary>
/// The open client connections of one broker (those past connection.open), for the management API,
/// metrics and operations that close connections (a vhost or user deleted). Registration happens once
/// per connection, never per message.
/// </summary>
public sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<IManagedConnection, byte> _connections = new();
    private long _opened;
    private long _closed;

    /// <summary>Counters of channels that have closed, so totals survive them.</summary>
    public ChannelStats Retired { get; } = new();

    public int Count => _connections.Count;

    /// <summary>Connections opened since start (RabbitMQ's connection_created).</summary>
    public long Opened => Volatile.Read(ref _opened);

    /// <summary>Connections closed since start (RabbitMQ's connection_closed).</summary>
    public long Closed => Volatile.Read(ref _closed);

    public void Add(IManagedConnection connection)
    {
        if (_connections.TryAdd(connection, 0))
        {
            Interlocked.Increment(ref _opened);
        }
    }

    public void Remove(IManagedConnection connection)
    {
        if (_connections.TryRemove(connection, out _))
        {
            Interlocked.Increment(ref _closed);
        }
    }

    public void CopyTo(List<IManagedConnection> into)
    {
        foreach (var pair in _connections)
        {
            into.Add(pair.Key);
        }
    }

    /// <summary>Closes (320) every connection to <paramref name="virtualHost"/>, or of <paramref name="user"/> when given.</summary>
    public void CloseWhere(string? virtualHost, string? user, string reason)
    {
        foreach (var pair in _connections)
        {
            var connection = pair.Key;
            if ((virtualHost is null || connection.VirtualHostName == virtualHost) && (user is null || connection.UserName == user))
            {
                connection.CloseByOperator(reason);
            }
        }
    }
}
