using System.Text.Json.Nodes;
using Broker.Engine.Exchanges;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>An exchange as /api/exchanges writes it; the default exchange is named "" and typed direct.</summary>
public static class ExchangeView
{
    public static JsonObject Build(Exchange exchange)
    {
        var json = Fields(exchange);

        // RabbitMQ writes "policy" only when one applies.
        if (exchange.Policy is { } policy)
        {
            json["policy"] = policy.Name;
        }

        return json;
    }

    private static JsonObject Fields(Exchange exchange) => new()
    {
        ["arguments"] = FieldTableJson.ToJson(exchange.Arguments),
        ["auto_delete"] = exchange.AutoDelete,
        ["durable"] = exchange.Durable,
        ["internal"] = exchange.Internal,
        ["name"] = exchange.Name,
        ["type"] = exchange.Type,
        ["user_who_performed_action"] = IsBuiltIn(exchange) ? "rmq-internal" : "guest",
        ["vhost"] = exchange.VirtualHost.Name,
    };

    public static bool IsBuiltIn(Exchange exchange) => exchange.Name.Length == 0 || exchange.Name.StartsWith("amq.", StringComparison.Ordinal);
}
