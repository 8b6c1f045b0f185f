using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Management.Http;
using Broker.Management.Views;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>/api/exchanges: list, show, declare (PUT), delete, publish. The default exchange is "amq.default" in paths.</summary>
internal sealed class ExchangeEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/exchanges", (r, _) => Listing.Write(r, Visible(r, null), e => e.Name, ExchangeView.Build, e => e.VirtualHost.Name));
        router.Get("api/exchanges/{}", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Listing.Write(r, Visible(r, a[0]), e => e.Name, ExchangeView.Build);
        });
        router.Get("api/exchanges/{}/{}", (r, a) => r.Json(Find(r, a[0], a[1], out _)));
        router.Put("api/exchanges/{}/{}", Put);
        router.Delete("api/exchanges/{}/{}", Delete);
        router.Post("api/exchanges/{}/{}/publish", Publish);
    }

    public static string PathName(string name) => name == "amq.default" ? string.Empty : name;

    private JsonObject Find(ApiRequest request, string vhost, string name, out Exchange exchange)
    {
        var virtualHost = request.VirtualHost(vhost);
        if (!virtualHost.TryGetExchange(PathName(name), out exchange))
        {
            throw ApiError.NotFound();
        }

        var json = ExchangeView.Build(exchange);
        json["incoming"] = new JsonArray();
        json["outgoing"] = new JsonArray();
        return json;
    }

    private List<Exchange> Visible(ApiRequest request, string? vhost)
    {
        List<Exchange> result = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if ((vhost is null || virtualHost.Name == vhost)
                && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
            {
                result.AddRange(virtualHost.Exchanges);
            }
        }

        return result;
    }

    private async Task Put(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var body = await request.ReadObjectAsync();

        // No length check: RabbitMQ declares exchanges with names over AMQP's 255 bytes over HTTP.
        var name = args[1];
        if (!request.PermissionsIn(virtualHost.Name).CanConfigure(name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        var type = body["type"]?.ToString() ?? ExchangeTypes.Direct;
        var arguments = FieldTableJson.FromJson(body["arguments"]);
        if (!ExchangeTypes.IsKnown(type))
        {
            throw ApiError.BadRequest($"unknown exchange type '{type}'");
        }

        var created = !virtualHost.TryGetExchange(name, out _);
        var result = virtualHost.DeclareExchange(name, type, passive: false, ApiRequest.Flag(body, "durable", false), ApiRequest.Flag(body, "auto_delete", false), ApiRequest.Flag(body, "internal", false), arguments);
        EngineErrors.ThrowIfError(result.Error);
        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }

    private async Task Delete(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var name = PathName(args[1]);
        if (!virtualHost.TryGetExchange(name, out _))
        {
            throw ApiError.NotFound();
        }

        if (!request.PermissionsIn(virtualHost.Name).CanConfigure(name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        EngineErrors.ThrowIfError(virtualHost.DeleteExchange(name, ifUnused: request.Query("if-unused") == "true"));
        await context.Engine.Definitions.WhenPersisted();
        await request.NoContent();
    }

    private async Task Publish(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var name = PathName(args[1]);
        var body = await request.ReadObjectAsync();
        RequiredKeys.Check(body, nullIsMissing: true, "routing_key", "properties", "payload", "payload_encoding");

        // RabbitMQ publishes on a channel and answers its channel error, code and text, as a 400.
        if (!virtualHost.TryGetExchange(name, out var exchange))
        {
            throw ApiError.BadRequest($"404 NOT_FOUND - no exchange '{name}' in vhost '{virtualHost.Name}'");
        }

        if (!request.PermissionsIn(virtualHost.Name).CanWrite(name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        if (exchange.Internal)
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        byte[] payload;
        var encoding = body["payload_encoding"]!.ToString();
        var text = body["payload"]!.ToString();
        switch (encoding)
        {
            case "string":
                payload = Encoding.UTF8.GetBytes(text);
                break;
            case "base64":
                try
                {
                    payload = Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    throw ApiError.BadRequest("invalid_base64");
                }

                break;
            default:
                throw ApiError.BadRequest("invalid_encoding");
        }

        var properties = MessagePropertiesJson.FromJson(body["properties"] as JsonObject ?? []);
        var routed = Publisher.Publish(virtualHost, exchange, body["routing_key"]!.ToString(), properties, payload, request.User.Name);
        await request.Json(new JsonObject { ["routed"] = routed });
    }
}

/// <summary>Message properties as the management API writes and reads them (AMQP names in snake case).</summary>
internal static class MessagePropertiesJson
{
    public static BasicProperties FromJson(JsonObject json)
    {
        var properties = new BasicProperties
        {
            ContentType = Text(json, "content_type"),
            ContentEncoding = Text(json, "content_encoding"),
            CorrelationId = Text(json, "correlation_id"),
            ReplyTo = Text(json, "reply_to"),
            Expiration = Text(json, "expiration"),
            MessageId = Text(json, "message_id"),
            Type = Text(json, "type"),
            UserId = Text(json, "user_id"),
            AppId = Text(json, "app_id"),
            ClusterId = Text(json, "cluster_id"),
        };
        if (json["delivery_mode"] is JsonValue mode && mode.TryGetValue<int>(out var deliveryMode))
        {
            properties.DeliveryMode = (byte)deliveryMode;
        }

        if (json["priority"] is JsonValue priority && priority.TryGetValue<int>(out var value))
        {
            properties.Priority = (byte)Math.Clamp(value, 0, 255);
        }

        if (json["timestamp"] is JsonValue timestamp && timestamp.TryGetValue<long>(out var seconds))
        {
            properties.Timestamp = new AmqpTimestamp((ulong)seconds);
        }

        if (json["headers"] is JsonObject headers)
        {
            properties.Headers = FieldTableJson.FromJson(headers);
        }

        return properties;
    }

    public static JsonObject ToJson(BasicProperties properties)
    {
        var json = new JsonObject();
        Add(json, "content_type", properties.ContentType);
        Add(json, "content_encoding", properties.ContentEncoding);
        if (properties.DeliveryMode is { } mode)
        {
            json["delivery_mode"] = mode;
        }

        if (properties.Priority is { } priority)
        {
            json["priority"] = priority;
        }

        Add(json, "correlation_id", properties.CorrelationId);
        Add(json, "reply_to", properties.ReplyTo);
        Add(json, "expiration", properties.Expiration);
        Add(json, "message_id", properties.MessageId);
        if (properties.Timestamp is { } timestamp)
        {
            json["timestamp"] = (long)timestamp.UnixSeconds;
        }

        Add(json, "type", properties.Type);
        Add(json, "user_id", properties.UserId);
        Add(json, "app_id", properties.AppId);
        Add(json, "cluster_id", properties.ClusterId);
        if (properties.Headers is { Count: > 0 } headers)
        {
            json["headers"] = FieldTableJson.ToJson(headers);
        }

        return json;
    }

    private static string? Text(JsonObject json, string key) => json[key] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;

    private static void Add(JsonObject json, string key, string? value)
    {
        if (value is not null)
        {
            json[key] = value;
        }
    }
}
