using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>
/// A binding as /api/bindings writes it, including the default exchange's implicit binding of every
/// queue. properties_key names a binding in a URL: the routing key ("~" when empty) when it has no
/// arguments, else the key, "~" and a hash of the arguments (RabbitMQ hashes with Erlang's phash2,
/// so keys of bindings with arguments differ from RabbitMQ's; clients take them from a listing).
/// </summary>
public static class BindingView
{
    public readonly record struct Row(string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments);

    public static Row From(Binding binding) => new(
        binding.Source.VirtualHost.Name,
        binding.Source.Name,
        binding.Destination is MessageQueue queue ? queue.Name : ((Exchange)binding.Destination).Name,
        binding.Destination is MessageQueue,
        binding.RoutingKey,
        binding.Arguments);

    /// <summary>The default exchange's binding to a queue (RabbitMQ lists it though no one made it).</summary>
    public static Row Default(MessageQueue queue) => new(queue.VirtualHost.Name, string.Empty, queue.Name, true, queue.Name, new FieldTable());

    public static JsonObject Build(in Row row) => new()
    {
        ["source"] = row.Source,
        ["vhost"] = row.VirtualHost,
        ["destination"] = row.Destination,
        ["destination_type"] = row.ToQueue ? "queue" : "exchange",
        ["routing_key"] = row.RoutingKey,
        ["arguments"] = FieldTableJson.ToJson(row.Arguments),
        ["properties_key"] = PropertiesKey(row.RoutingKey, row.Arguments),
    };

    public static string PropertiesKey(string routingKey, FieldTable arguments)
    {
        if (arguments.Count == 0)
        {
            return routingKey.Length == 0 ? "~" : routingKey;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(FieldTableJson.ToJson(arguments).ToJsonString())).AsSpan(0, 6).ToArray();
        return routingKey + "~" + Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
