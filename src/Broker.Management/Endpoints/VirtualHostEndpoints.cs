using System.Text.Json.Nodes;
using Broker.Engine.Monitoring;
using Broker.Engine.VirtualHosts;
using Broker.Management.Http;
using Broker.Management.Views;

namespace Broker.Management.Endpoints;

/// <summary>/api/vhosts: list, show, create or update (201/204), delete (connections closed, everything in it gone).</summary>
internal sealed class VirtualHostEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/vhosts", List);
        router.Get("api/vhosts/{}", (r, a) =>
        {
            // RabbitMQ 3.10 shows one vhost to administrators only (the list shows management users theirs).
            r.RequireAdministrator();
            return r.Json(Build(r.VirtualHost(a[0]), context.Sampler.Channels()));
        });
        router.Put("api/vhosts/{}", Put);
        router.Delete("api/vhosts/{}", (r, a) =>
        {
            r.RequireAdministrator();
            return context.Engine.DeleteVirtualHost(a[0]) ? r.NoContent() : throw ApiError.NotFound();
        });
    }

    private Task List(ApiRequest request, string[] args)
    {
        List<VirtualHost> visible = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if (Access.SeesEverything(request.User) || Access.CanAccess(context.Engine, request.User, virtualHost.Name))
            {
                visible.Add(virtualHost);
            }
        }

        var channels = context.Sampler.Channels();
        return Listing.Write(request, visible, v => v.Name, v => Build(v, channels));
    }

    private async Task Put(ApiRequest request, string[] args)
    {
        request.RequireAdministrator();
        var body = await request.ReadObjectAsync();
        var name = args[0];
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 255)
        {
            throw ApiError.BadRequest("vhost name is too long: the limit is 255 bytes");
        }

        var created = !context.Engine.TryGetVirtualHost(name, out _);
        VirtualHostSettings.Apply(context.Engine, name, body, request.User);
        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }

    private JsonObject Build(VirtualHost virtualHost, List<ChannelInfo> channels)
    {
        long ready = 0, unacked = 0;
        foreach (var queue in virtualHost.Queues)
        {
            var counts = queue.GetCounts();
            ready += counts.Messages;
            unacked += counts.Unacked;
        }

        long received = 0, sent = 0;
        List<IManagedConnection> connections = [];
        context.Engine.Clients.CopyTo(connections);
        foreach (var connection in connections)
        {
            if (connection.VirtualHostName == virtualHost.Name)
            {
                var info = connection.Describe();
                received += info.ReceivedBytes;
                sent += info.SentBytes;
            }
        }

        var json = VirtualHostSettings.Describe(virtualHost);
        json["cluster_state"] = new JsonObject { [context.NodeName] = "running" };
        json["message_stats"] = context.Sampler.VirtualHostTotals(virtualHost, channels).ToJson(context.Sampler.VirtualHostRates(virtualHost.Name), publishSide: true);
        json["messages"] = ready + unacked;
        json["messages_details"] = QueueView.Rate(0);
        json["messages_ready"] = ready;
        json["messages_ready_details"] = QueueView.Rate(0);
        json["messages_unacknowledged"] = unacked;
        json["messages_unacknowledged_details"] = QueueView.Rate(0);
        json["recv_oct"] = received;
        json["recv_oct_details"] = QueueView.Rate(0);
        json["send_oct"] = sent;
        json["send_oct_details"] = QueueView.Rate(0);
        return json;
    }
}
