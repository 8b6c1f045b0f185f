using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Queues;
using Broker.Storage.Definitions;

namespace Broker.Storage.Tests.Support;

/// <summary>
/// Everything a definitions import can change in an engine, one sorted line per object, so a test can
/// say "nothing changed" or compare two engines.
/// </summary>
internal static class EngineState
{
    public static List<string> Describe(BrokerEngine engine)
    {
        var lines = new List<string>();
        var vhostNames = engine.VirtualHosts.Select(v => v.Name).ToList();
        foreach (var vhost in engine.VirtualHosts)
        {
            var m = vhost.Metadata;
            lines.Add($"vhost {vhost.Name} '{m.Description}' [{string.Join(",", m.Tags)}] {m.DefaultQueueType} limits {vhost.Limits}");
            foreach (var exchange in vhost.Exchanges)
            {
                lines.Add($"exchange {vhost.Name}/{exchange.Name} {exchange.Type} d={exchange.Durable} ad={exchange.AutoDelete} i={exchange.Internal} {Arguments(exchange.Arguments)}");
                foreach (var binding in exchange.GetBindings())
                {
                    var kind = binding.Destination is MessageQueue ? "queue" : "exchange";
                    lines.Add($"binding {vhost.Name}/{exchange.Name} -> {kind} {binding.Destination.Name} '{binding.RoutingKey}' {Arguments(binding.Arguments)}");
                }
            }

            foreach (var queue in vhost.Queues)
            {
                lines.Add($"queue {vhost.Name}/{queue.Name} {queue.Type.Name} d={queue.Durable} ad={queue.AutoDelete} {Arguments(queue.Arguments)}");
            }
        }

        foreach (var user in engine.Users.Users)
        {
            lines.Add($"user {user.Name} {user.HashingAlgorithm} {user.PasswordHash} [{string.Join(",", user.Tags)}] limits {user.Limits}");
            foreach (var vhost in vhostNames)
            {
                if (engine.Users.GetPermissions(user.Name, vhost) is { } p)
                {
                    lines.Add($"permissions {user.Name}@{vhost} '{p.Configure}' '{p.Write}' '{p.Read}'");
                }
            }
        }

        lines.AddRange(engine.Users.GetTopicPermissions().Select(p => $"topic {p.User}@{p.VirtualHost} {p.Exchange} '{p.Write}' '{p.Read}'"));
        lines.AddRange(engine.Parameters.List().Select(p => $"parameter {p.VirtualHost} {p.Component} {p.Name} {p.Value}"));
        lines.AddRange(engine.Parameters.ListGlobal().Select(p => $"global {p.Name} {p.Value}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string Arguments(Broker.DataModel.Encoding.FieldTable arguments) => FieldTableJson.ToJson(arguments).ToJsonString();

    public static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
