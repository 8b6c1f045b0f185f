using System.Text.Json.Nodes;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Routing.Explain;
using Broker.Management.Http;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>
/// POST /api/exchanges/{vhost}/{exchange}/explain: our extension (RabbitMQ has no such endpoint).
/// Given a routing key, headers and properties, answers which bindings of the exchange, and of every
/// exchange the message would reach from it, match and why the others do not, and the queues the
/// message would reach. Nothing is published. Anyone who may see the vhost may ask.
/// </summary>
internal sealed class ExplainEndpoints
{
    public void Register(ApiRouter router) => router.Post("api/exchanges/{}/{}/explain", Explain);

    private static async Task Explain(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHost(args[0]);
        var name = ExchangeEndpoints.PathName(args[1]);
        if (!virtualHost.TryGetExchange(name, out var exchange))
        {
            throw ApiError.NotFound();
        }

        var body = await request.ReadObjectAsync();
        var routingKey = body["routing_key"]?.ToString() ?? string.Empty;
        if (System.Text.Encoding.UTF8.GetByteCount(routingKey) > 255)
        {
            throw ApiError.BadRequest("a routing key is at most 255 bytes");
        }

        var properties = MessagePropertiesJson.FromJson(body["properties"] as JsonObject ?? []);
        if (body["headers"] is JsonObject headers && headers.Count > 0)
        {
            // Headers given apart from the properties join (and win over) the properties' own.
            var merged = properties.Headers ?? new();
            foreach (var (key, value) in FieldTableJson.FromJson(headers))
            {
                merged[key] = value;
            }

            properties.Headers = merged;
        }

        var explanation = virtualHost.ExplainRoute(exchange, routingKey, properties);
        var json = new JsonObject
        {
            ["vhost"] = virtualHost.Name,
            ["exchange"] = exchange.Name,
            ["routing_key"] = routingKey,
            ["routed"] = explanation.Queues.Count > 0 || explanation.Delayed.Count > 0,
            ["queues"] = new JsonArray([.. explanation.Queues.Select(q => (JsonNode)q.Name)]),
            ["delayed"] = new JsonArray([.. explanation.Delayed.Select(d => (JsonNode)new JsonObject { ["exchange"] = d.Exchange.Name, ["delay"] = d.Delay })]),
            ["invalid_delay"] = explanation.InvalidDelay,
            ["exchanges"] = new JsonArray([.. explanation.Visits.Select(Visit)]),
        };
        await request.Json(json);
    }

    private static JsonNode Visit(ExchangeVisit visit) => new JsonObject
    {
        ["name"] = visit.Exchange.Name,
        ["type"] = visit.Exchange.Type,
        ["routing_key"] = visit.RoutingKey,
        ["reached_by"] = visit.ReachedBy,
        ["rule"] = visit.Rule,
        ["alternate_exchange"] = visit.AlternateExchange,
        ["alternate"] = visit.AlternateNote,
        ["notes"] = new JsonArray([.. visit.Notes.Select(n => (JsonNode)n)]),
        ["bindings"] = new JsonArray([.. visit.Bindings.Select(Verdict)]),
    };

    private static JsonNode Verdict(BindingVerdict verdict) => new JsonObject
    {
        ["destination"] = verdict.Destination.Name,
        ["destination_type"] = verdict.Destination is MessageQueue ? "queue" : verdict.Destination is Exchange ? "exchange" : "unknown",
        ["routing_key"] = verdict.BindingKey,
        ["arguments"] = FieldTableJson.ToJson(verdict.Arguments),
        ["matched"] = verdict.Matched,
        ["reason"] = verdict.Reason,
    };
}
