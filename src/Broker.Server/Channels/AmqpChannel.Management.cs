using Broker.Engine.Monitoring;

namespace Broker.Server.Channels;

/// <summary>The channel as the management API sees it.</summary>
internal sealed partial class AmqpChannel
{
    /// <summary>Publish-side counters since the channel opened (written on the connection's thread).</summary>
    public ChannelStats Stats { get; } = new();

    public ChannelInfo Describe()
    {
        int unconfirmed;
        bool confirm;
        lock (_lock)
        {
            confirm = _confirms is not null;
            unconfirmed = _confirms?.Unconfirmed ?? 0;
        }

        var (perConsumer, global) = _session.Prefetch;
        var transaction = _transaction;
        var connection = _connection.Describe();
        return new ChannelInfo(
            connection.Name,
            connection.PeerHost,
            connection.PeerPort,
            Number,
            _virtualHost.Name,
            _connection.UserName,
            _session.ConsumerCount,
            _session.UnackedCount,
            unconfirmed,
            perConsumer,
            global,
            confirm,
            transaction is not null,
            transaction?.Publishes.Count ?? 0,
            transaction?.Settles.Count ?? 0,
            Stats);
    }
}
