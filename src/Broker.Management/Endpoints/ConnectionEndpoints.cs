using Broker.Engine.Monitoring;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Management.Http;
using Broker.Management.Views;

namespace Broker.Management.Endpoints;

/// <summary>
/// /api/connections, /api/channels, /api/consumers (and per vhost): management users see their own
/// connections, monitoring and administrators all. DELETE on a connection closes it with 320
/// CONNECTION_FORCED and the X-Reason header's text ("Closed via management plugin" by default).
/// </summary>
internal sealed class ConnectionEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/connections", (r, _) => Listing.Write(r, Connections(r, null), c => c.Name, c => ConnectionView.Build(c, context.NodeName)));
        router.Get("api/vhosts/{}/connections", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Listing.Write(r, Connections(r, a[0]), c => c.Name, c => ConnectionView.Build(c, context.NodeName));
        });
        router.Get("api/connections/{}", (r, a) => r.Json(ConnectionView.Build(Find(r, a[0]).Describe(), context.NodeName)));
        router.Delete("api/connections/{}", (r, a) =>
        {
            var connection = Find(r, a[0]);
            var reason = r.Context.Request.Headers["X-Reason"].ToString();
            connection.CloseByOperator(reason.Length > 0 ? reason : "Closed via management plugin");
            return r.NoContent();
        });
        router.Get("api/connections/{}/channels", (r, a) =>
        {
            var channels = new List<ChannelInfo>();
            Find(r, a[0]).CopyChannels(channels);
            return Listing.Write(r, channels, c => c.Name, c => ConnectionView.BuildChannel(c, context.NodeName));
        });
        router.Get("api/channels", (r, _) => Listing.Write(r, Channels(r, null), c => c.Name, c => ConnectionView.BuildChannel(c, context.NodeName)));
        router.Get("api/vhosts/{}/channels", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Listing.Write(r, Channels(r, a[0]), c => c.Name, c => ConnectionView.BuildChannel(c, context.NodeName));
        });
        router.Get("api/channels/{}", (r, a) =>
        {
            foreach (var channel in Channels(r, null))
            {
                if (channel.Name == a[0])
                {
                    return r.Json(ConnectionView.BuildChannel(channel, context.NodeName));
                }
            }

            throw ApiError.NotFound();
        });
        router.Get("api/consumers", (r, _) => Consumers(r, null));
        router.Get("api/consumers/{}", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Consumers(r, a[0]);
        });
    }

    /// <summary>The connection a consumer's session belongs to, described (null for an unknown session kind).</summary>
    public static ConnectionInfo? DescribeOwner(Consumer consumer) =>
        consumer.Session is Session { Connection: IManagedConnection connection } ? connection.Describe() : null;

    private List<IManagedConnection> All()
    {
        List<IManagedConnection> connections = [];
        context.Engine.Clients.CopyTo(connections);
        return connections;
    }

    private List<ConnectionInfo> Connections(ApiRequest request, string? vhost)
    {
        List<ConnectionInfo> result = [];
        foreach (var connection in All())
        {
            if (Visible(request, connection) && (vhost is null || connection.VirtualHostName == vhost))
            {
                result.Add(connection.Describe());
            }
        }

        return result;
    }

    private List<ChannelInfo> Channels(ApiRequest request, string? vhost)
    {
        List<ChannelInfo> result = [];
        foreach (var connection in All())
        {
            if (Visible(request, connection) && (vhost is null || connection.VirtualHostName == vhost))
            {
                connection.CopyChannels(result);
            }
        }

        return result;
    }

    private static bool Visible(ApiRequest request, IManagedConnection connection) =>
        Access.SeesEverything(request.User) || connection.UserName == request.User.Name;

    /// <summary>By RabbitMQ's name ("peer -> local"), else by the client-provided connection_name when one connection has it.</summary>
    private IManagedConnection Find(ApiRequest request, string name)
    {
        IManagedConnection? byClientName = null;
        var clientNameMatches = 0;
        foreach (var connection in All())
        {
            if (!Visible(request, connection))
            {
                continue;
            }

            var info = connection.Describe();
            if (info.Name == name)
            {
                return connection;
            }

            if (info.UserProvidedName == name)
            {
                byClientName = connection;
                clientNameMatches++;
            }
        }

        return clientNameMatches == 1 ? byClientName! : throw ApiError.NotFound();
    }

    private Task Consumers(ApiRequest request, string? vhost)
    {
        List<Consumer> consumers = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if ((vhost is null || virtualHost.Name == vhost)
                && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
            {
                foreach (var queue in virtualHost.Queues)
                {
                    queue.CopyConsumers(consumers);
                }
            }
        }

        return Listing.Write(request, consumers, c => c.Queue.Name + "\0" + c.Tag, c => ConnectionView.BuildConsumer(c, DescribeOwner(c), context.NodeName), c => c.Queue.VirtualHost.Name);
    }
}
