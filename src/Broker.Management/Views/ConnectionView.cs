using System.Text.Json.Nodes;
using Broker.Engine.Monitoring;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>Connections, channels and consumers as /api/connections, /api/channels and /api/consumers write them.</summary>
public static class ConnectionView
{
    public static JsonObject Build(ConnectionInfo c, string node) => new()
    {
        ["auth_mechanism"] = c.AuthMechanism,
        ["channel_max"] = c.ChannelMax,
        ["channels"] = c.Channels,
        ["client_properties"] = FieldTableJson.ToJson(c.ClientProperties),
        ["connected_at"] = c.ConnectedAt.ToUnixTimeMilliseconds(),
        ["frame_max"] = c.FrameMax,
        ["host"] = c.Host,
        ["name"] = c.Name,
        ["node"] = node,
        ["peer_cert_issuer"] = null,
        ["peer_cert_subject"] = null,
        ["peer_cert_validity"] = null,
        ["peer_host"] = c.PeerHost,
        ["peer_port"] = c.PeerPort,
        ["port"] = c.Port,
        ["protocol"] = "AMQP 0-9-1",
        ["recv_cnt"] = c.ReceivedFrames,
        ["recv_oct"] = c.ReceivedBytes,
        ["recv_oct_details"] = QueueView.Rate(0),
        ["send_cnt"] = 0,
        ["send_oct"] = c.SentBytes,
        ["send_oct_details"] = QueueView.Rate(0),
        ["send_pend"] = 0,
        ["ssl"] = false,
        ["ssl_cipher"] = null,
        ["ssl_hash"] = null,
        ["ssl_key_exchange"] = null,
        ["ssl_protocol"] = null,
        ["state"] = c.State,
        ["timeout"] = c.Heartbeat,
        ["type"] = "network",
        ["user"] = c.User,
        ["user_provided_name"] = c.UserProvidedName,
        ["user_who_performed_action"] = c.User,
        ["vhost"] = c.VirtualHost,
    };

    public static JsonObject BuildChannel(ChannelInfo c, string node)
    {
        var counters = default(Metrics.MessageCounters);
        counters.AddPublishes(c.Stats);
        return new JsonObject
        {
            ["acks_uncommitted"] = c.UncommittedAcks,
            ["confirm"] = c.Confirm,
            ["connection_details"] = new JsonObject { ["name"] = c.ConnectionName, ["peer_host"] = c.PeerHost, ["peer_port"] = c.PeerPort },
            ["consumer_count"] = c.ConsumerCount,
            ["global_prefetch_count"] = c.GlobalPrefetchCount,
            ["message_stats"] = counters.ToJson(default, publishSide: true),
            ["messages_unacknowledged"] = c.Unacked,
            ["messages_uncommitted"] = c.UncommittedMessages,
            ["messages_unconfirmed"] = c.Unconfirmed,
            ["name"] = c.Name,
            ["node"] = node,
            ["number"] = c.Number,
            ["pending_raft_commands"] = 0,
            ["prefetch_count"] = c.PrefetchCount,
            ["state"] = "running",
            ["transactional"] = c.Transactional,
            ["user"] = c.User,
            ["user_who_performed_action"] = c.User,
            ["vhost"] = c.VirtualHost,
        };
    }

    public static JsonObject BuildConsumer(Consumer consumer, ConnectionInfo? connection, string node)
    {
        var channelNumber = consumer.Session is Session session ? session.ChannelNumber : (ushort)0;
        var connectionName = connection?.Name ?? (consumer.Session as Session)?.Connection.Name ?? string.Empty;
        return new JsonObject
        {
            ["arguments"] = consumer.Arguments is { } arguments ? FieldTableJson.ToJson(arguments) : new JsonObject(),
            ["ack_required"] = !consumer.NoAck,
            ["active"] = true,
            ["activity_status"] = "up",
            ["channel_details"] = new JsonObject
            {
                ["connection_name"] = connectionName,
                ["name"] = $"{connectionName} ({channelNumber})",
                ["node"] = node,
                ["number"] = channelNumber,
                ["peer_host"] = connection?.PeerHost ?? string.Empty,
                ["peer_port"] = connection?.PeerPort ?? 0,
                ["user"] = connection?.User ?? string.Empty,
            },
            ["consumer_tag"] = consumer.Tag,
            ["exclusive"] = consumer.Exclusive,
            ["prefetch_count"] = consumer.PrefetchLimit,
            ["queue"] = new JsonObject { ["name"] = consumer.Queue.Name, ["vhost"] = consumer.Queue.VirtualHost.Name },
        };
    }
}
