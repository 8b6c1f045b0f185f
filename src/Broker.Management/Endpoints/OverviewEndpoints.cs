using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Broker.Engine.Monitoring;
using Broker.Management.Http;
using Broker.Management.Views;

namespace Broker.Management.Endpoints;

/// <summary>/api/overview, /api/nodes, /api/whoami, /api/extensions, /api/feature-flags, /api/cluster-name.</summary>
internal sealed class OverviewEndpoints(ManagementContext context)
{
    private static readonly string[] ExchangeTypeNames = ["direct", "fanout", "headers", "topic", "x-consistent-hash", "x-delayed-message"];

    public void Register(ApiRouter router)
    {
        router.Get("api/overview", Overview);
        router.Get("api/nodes", (r, _) => { r.RequireMonitor(); return r.Json(new JsonArray(Node())); });
        router.Get("api/nodes/{}", (r, a) =>
        {
            r.RequireMonitor();
            return a[0] == context.NodeName ? r.Json(Node()) : throw ApiError.NotFound();
        });
        router.Get("api/whoami", (r, _) => r.Json(new JsonObject { ["name"] = r.User.Name, ["tags"] = Tags(r.User.Tags) }));
        router.Get("api/extensions", (r, _) => r.Json(new JsonArray()));
        router.Get("api/feature-flags", (r, _) => r.Json(FeatureFlags()));
        router.Get("api/cluster-name", (r, _) => r.Json(new JsonObject { ["name"] = context.ClusterName }));
        router.Get("api/auth", (r, _) => r.Json(new JsonObject { ["oauth_enabled"] = false }));
    }

    public static JsonArray Tags(IReadOnlyList<string> tags)
    {
        var array = new JsonArray();
        foreach (var tag in tags)
        {
            array.Add(tag);
        }

        return array;
    }

    private Task Overview(ApiRequest request, string[] args)
    {
        var engine = context.Engine;
        var seesAll = Access.SeesEverything(request.User);
        long messages = 0, ready = 0, unacked = 0, queues = 0, exchanges = 0, consumers = 0;
        foreach (var virtualHost in engine.VirtualHosts)
        {
            if (!seesAll && !Access.CanAccess(engine, request.User, virtualHost.Name))
            {
                continue;
            }

            exchanges += virtualHost.Exchanges.Count;
            foreach (var queue in virtualHost.Queues)
            {
                var counts = queue.GetCounts();
                queues++;
                ready += counts.Messages;
                unacked += counts.Unacked;
                consumers += counts.Consumers;
            }
        }

        messages = ready + unacked;
        List<IManagedConnection> connections = [];
        engine.Clients.CopyTo(connections);
        var channels = context.Sampler.Channels();
        var visibleConnections = 0;
        foreach (var connection in connections)
        {
            visibleConnections += seesAll || connection.UserName == request.User.Name ? 1 : 0;
        }

        var visibleChannels = 0;
        foreach (var channel in channels)
        {
            visibleChannels += seesAll || channel.User == request.User.Name ? 1 : 0;
        }

        var json = new JsonObject
        {
            ["management_version"] = context.RabbitMqVersion,
            ["rates_mode"] = "basic",
            ["sample_retention_policies"] = new JsonObject
            {
                ["global"] = new JsonArray(600, 3600, 28800, 86400),
                ["basic"] = new JsonArray(600, 3600),
                ["detailed"] = new JsonArray(600),
            },
            ["exchange_types"] = ExchangeTypes(),
            ["product_version"] = context.ProductVersion,
            ["product_name"] = "Broker",
            ["rabbitmq_version"] = context.RabbitMqVersion,
            ["cluster_name"] = context.ClusterName,
            ["erlang_version"] = Environment.Version.ToString(),
            ["erlang_full_version"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["release_series_support_status"] = "supported",
            ["disable_stats"] = false,
            ["enable_queue_totals"] = false,
            ["message_stats"] = context.Sampler.BrokerTotals().ToJson(context.Sampler.BrokerRates, publishSide: true),
            ["churn_rates"] = new JsonObject
            {
                ["connection_created"] = engine.Clients.Opened,
                ["connection_created_details"] = QueueView.Rate(0),
                ["connection_closed"] = engine.Clients.Closed,
                ["connection_closed_details"] = QueueView.Rate(0),
            },
            ["queue_totals"] = new JsonObject
            {
                ["messages"] = messages,
                ["messages_details"] = QueueView.Rate(0),
                ["messages_ready"] = ready,
                ["messages_ready_details"] = QueueView.Rate(0),
                ["messages_unacknowledged"] = unacked,
                ["messages_unacknowledged_details"] = QueueView.Rate(0),
            },
            ["object_totals"] = new JsonObject
            {
                ["channels"] = visibleChannels,
                ["connections"] = visibleConnections,
                ["consumers"] = consumers,
                ["exchanges"] = exchanges,
                ["queues"] = queues,
            },
            ["statistics_db_event_queue"] = 0,
            ["node"] = context.NodeName,
            ["listeners"] = Listeners(),
            ["contexts"] = new JsonArray(new JsonObject
            {
                ["ssl_opts"] = new JsonArray(),
                ["node"] = context.NodeName,
                ["description"] = "RabbitMQ Management",
                ["path"] = "/",
                ["port"] = context.ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }),
        };
        return request.Json(json);
    }

    private JsonArray Listeners()
    {
        var listeners = new JsonArray(Listener("amqp", context.AmqpPort));
        if (context.ManagementPort > 0)
        {
            listeners.Add(Listener("http", context.ManagementPort));
        }

        if (context.PrometheusPort > 0)
        {
            listeners.Add(Listener("http/prometheus", context.PrometheusPort));
        }

        return listeners;
    }

    private JsonObject Listener(string protocol, int port) => new()
    {
        ["node"] = context.NodeName,
        ["protocol"] = protocol,
        ["ip_address"] = context.BindAddress,
        ["port"] = port,
        ["socket_opts"] = new JsonObject(),
    };

    public static JsonArray ExchangeTypes()
    {
        var types = new JsonArray();
        foreach (var name in ExchangeTypeNames)
        {
            types.Add(new JsonObject
            {
                ["name"] = name,
                ["description"] = name switch
                {
                    "x-consistent-hash" => "Consistent Hashing Exchange",
                    "x-delayed-message" => "Delayed Message Exchange.",
                    _ => $"AMQP {name} exchange, as per the AMQP specification",
                },
                ["enabled"] = true,
            });
        }

        return types;
    }

    private JsonObject Node()
    {
        using var process = Process.GetCurrentProcess();
        var alarms = context.Engine.Alarms;
        var drive = context.DataDirectory is { } directory ? new DriveInfo(Path.GetFullPath(directory)) : null;
        return new JsonObject
        {
            ["name"] = context.NodeName,
            ["type"] = "disc",
            ["running"] = true,
            ["being_drained"] = false,
            ["os_pid"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["mem_used"] = process.WorkingSet64,
            ["mem_limit"] = context.MemoryLimit,
            ["mem_alarm"] = alarms.MemoryAlarm,
            ["disk_free"] = drive?.AvailableFreeSpace ?? 0,
            ["disk_free_limit"] = context.DiskFreeLimit,
            ["disk_free_alarm"] = alarms.DiskAlarm,
            ["fd_used"] = process.HandleCount,
            ["fd_total"] = 1048576,
            ["sockets_used"] = context.Engine.Clients.Count,
            ["sockets_total"] = 1048576,
            ["proc_used"] = process.Threads.Count,
            ["proc_total"] = 1048576,
            ["processors"] = Environment.ProcessorCount,
            ["uptime"] = (long)(DateTimeOffset.UtcNow - context.Engine.StartedAt).TotalMilliseconds,
            ["run_queue"] = 0,
            ["rates_mode"] = "basic",
            ["partitions"] = new JsonArray(),
            ["exchange_types"] = ExchangeTypes(),
            ["auth_mechanisms"] = new JsonArray(
                new JsonObject { ["name"] = "PLAIN", ["description"] = "SASL PLAIN authentication mechanism", ["enabled"] = true },
                new JsonObject { ["name"] = "AMQPLAIN", ["description"] = "QPid AMQPLAIN mechanism", ["enabled"] = true }),
            ["applications"] = new JsonArray(new JsonObject { ["name"] = "broker", ["description"] = "Broker", ["version"] = context.ProductVersion }),
            ["enabled_plugins"] = new JsonArray("rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_consistent_hash_exchange"),
            ["net_ticktime"] = 60,
        };
    }

    private static JsonArray FeatureFlags()
    {
        var flags = new JsonArray();
        foreach (var name in new[] { "classic_mirrored_queue_version", "classic_queue_type_delivery_support", "direct_exchange_routing_v2", "drop_unroutable_metric", "empty_basic_get_metric", "feature_flags_v2", "implicit_default_bindings", "listener_records_in_ets", "maintenance_mode_status", "quorum_queue", "stream_queue", "stream_single_active_consumer", "tracking_records_in_ets", "user_limits", "virtual_host_metadata" })
        {
            flags.Add(new JsonObject
            {
                ["name"] = name,
                ["desc"] = name.Replace('_', ' '),
                ["doc_url"] = string.Empty,
                ["stability"] = "stable",
                ["provided_by"] = "rabbit",
                ["state"] = "enabled",
            });
        }

        return flags;
    }

    /// <summary>Checks a listener port for /api/health/checks/port-listener.</summary>
    public static bool IsListening(string address, int port)
    {
        try
        {
            using var client = new TcpClient();
            // A wildcard listener ([::] is dual-stack) is reached over IPv4 loopback.
            client.Connect(address is "0.0.0.0" or "::" ? "127.0.0.1" : address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
