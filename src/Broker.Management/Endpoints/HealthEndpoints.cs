using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Management.Http;

namespace Broker.Management.Endpoints;

/// <summary>
/// Health checks with RabbitMQ's paths, bodies and codes (200 ok, 503 failed), for compose files,
/// Kubernetes probes and scripts; and the aliveness test.
/// </summary>
internal sealed class HealthEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/health/checks/alarms", Alarms);
        router.Get("api/health/checks/local-alarms", Alarms);
        router.Get("api/health/checks/virtual-hosts", (r, _) => r.Json(Ok()));
        router.Get("api/health/checks/node-is-quorum-critical", (r, _) => r.Json(new JsonObject { ["status"] = "ok", ["reason"] = "single node cluster" }));
        router.Get("api/health/checks/node-is-mirror-sync-critical", (r, _) => r.Json(Ok()));
        router.Get("api/health/checks/certificate-expiration/{}/{}", (r, _) => r.Json(Ok()));
        router.Get("api/health/checks/port-listener/{}", PortListener);
        router.Get("api/health/checks/protocol-listener/{}", ProtocolListener);
        router.Get("api/health/checks/ready-to-serve-clients", (r, _) => r.Json(Ok()));
        router.Get("api/aliveness-test/{}", Aliveness);
    }

    private static JsonObject Ok() => new() { ["status"] = "ok" };

    private Task Alarms(ApiRequest request, string[] args)
    {
        var alarms = context.Engine.Alarms;
        if (!alarms.IsActive)
        {
            return request.Json(Ok());
        }

        var list = new JsonArray();
        if (alarms.MemoryAlarm)
        {
            list.Add(new JsonObject { ["node"] = context.NodeName, ["resource"] = "memory" });
        }

        if (alarms.DiskAlarm)
        {
            list.Add(new JsonObject { ["node"] = context.NodeName, ["resource"] = "disk" });
        }

        return request.Json(new JsonObject { ["status"] = "failed", ["reason"] = "resource alarm(s) in effect in the cluster", ["alarms"] = list }, 503);
    }

    private Task PortListener(ApiRequest request, string[] args)
    {
        if (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            throw ApiError.BadRequest("Invalid port");
        }

        var ports = new JsonArray();
        foreach (var (_, listening) in context.Listeners())
        {
            if (listening == port)
            {
                return request.Json(new JsonObject { ["status"] = "ok", ["port"] = port });
            }

            ports.Add(listening);
        }

        return request.Json(new JsonObject { ["status"] = "failed", ["reason"] = "No active listener", ["missing"] = port, ["ports"] = ports }, 503);
    }

    private Task ProtocolListener(ApiRequest request, string[] args)
    {
        var protocols = new JsonArray();
        foreach (var (protocol, _) in context.Listeners())
        {
            if (protocol == args[0])
            {
                return request.Json(new JsonObject { ["status"] = "ok", ["protocol"] = protocol });
            }

            protocols.Add(protocol);
        }

        return request.Json(new JsonObject { ["status"] = "failed", ["reason"] = "No active listener", ["missing"] = args[0], ["protocols"] = protocols }, 503);
    }

    /// <summary>RabbitMQ's aliveness test: declare "aliveness-test", publish a message to it and get it back.</summary>
    private Task Aliveness(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var declared = virtualHost.DeclareQueue("aliveness-test", passive: false, durable: false, exclusive: false, autoDelete: false, new FieldTable(), connection: null);
        if (declared.IsError)
        {
            return request.Json(new JsonObject { ["status"] = "failed", ["reason"] = declared.Error.Text }, 503);
        }

        var queue = declared.Value.Queue;
        Publisher.Publish(virtualHost, virtualHost.DefaultExchange, queue.Name, new Broker.DataModel.Content.BasicProperties(), Encoding.UTF8.GetBytes("test_message"), request.User.Name);
        if (!queue.TryGet(noAck: true, out var entry, out _))
        {
            return request.Json(new JsonObject { ["status"] = "failed", ["reason"] = "aliveness test message was not delivered" }, 503);
        }

        entry.Message.Release();
        return request.Json(Ok());
    }
}
