using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Content;
using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Management.Http;
using Broker.Management.Views;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>/api/queues: list, show, declare (PUT), delete, purge (DELETE .../contents), get messages, actions.</summary>
internal sealed class QueueEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/queues", (r, _) => Listing.Write(r, Visible(r, null), q => q.Name, View, q => q.VirtualHost.Name, SortKey));
        router.Get("api/queues/{}", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Listing.Write(r, Visible(r, a[0]), q => q.Name, View, sortKey: SortKey);
        });
        router.Get("api/queues/{}/{}", (r, a) =>
        {
            var queue = Find(r, a[0], a[1]);
            var json = View(queue);
            var consumers = new List<Consumer>();
            queue.CopyConsumers(consumers);
            var details = new JsonArray();
            foreach (var consumer in consumers)
            {
                details.Add(ConnectionView.BuildConsumer(consumer, ConnectionEndpoints.DescribeOwner(consumer), context.NodeName));
            }

            json["consumer_details"] = details;
            json["deliveries"] = new JsonArray();
            json["incoming"] = new JsonArray();
            return r.Json(json);
        });
        router.Put("api/queues/{}/{}", Put);
        router.Delete("api/queues/{}/{}", Delete);
        router.Delete("api/queues/{}/{}/contents", Purge);
        router.Post("api/queues/{}/{}/get", Get);
        router.Post("api/queues/{}/{}/actions", async (r, a) =>
        {
            Find(r, a[0], a[1]);
            var body = await r.ReadObjectAsync();
            var action = body["action"]?.ToString();
            if (action is not ("sync" or "cancel_sync"))
            {
                throw ApiError.BadRequest($"Unknown action: {action}");
            }

            // Mirroring does not exist on one node: nothing to synchronise.
            await r.NoContent();
        });
    }

    /// <summary>The sort fields a queue answers without building its view (what UIs and tools sort by).</summary>
    private static IComparable? SortKey(MessageQueue queue, string field) => field switch
    {
        "vhost" => queue.VirtualHost.Name,
        "messages" => queue.GetCounts() is var c ? c.Messages + c.Unacked : 0,
        "messages_ready" => queue.GetCounts().Messages,
        "messages_unacknowledged" => queue.GetCounts().Unacked,
        "consumers" => queue.GetCounts().Consumers,
        "durable" => queue.Durable,
        "auto_delete" => queue.AutoDelete,
        "exclusive" => queue.Exclusive,
        "type" => queue.Type.Name,
        "message_stats.publish" => queue.Stats.Published,
        "message_stats.deliver_get" => queue.Stats.DeliveredOrGot,
        "message_stats.ack" => queue.Stats.Acked,
        _ => null,
    };

    private JsonObject View(MessageQueue queue) => QueueView.Build(queue, context.Sampler, context.NodeName);

    private List<MessageQueue> Visible(ApiRequest request, string? vhost)
    {
        List<MessageQueue> result = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if ((vhost is null || virtualHost.Name == vhost)
                && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
            {
                result.AddRange(virtualHost.Queues);
            }
        }

        return result;
    }

    private static MessageQueue Find(ApiRequest request, string vhost, string name)
    {
        var virtualHost = request.VirtualHost(vhost);
        return virtualHost.TryGetQueue(name, out var queue) ? queue : throw ApiError.NotFound();
    }

    private async Task Put(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var body = await request.ReadObjectAsync();
        var name = args[1];
        if (Encoding.UTF8.GetByteCount(name) is var length && length > 255)
        {
            throw ApiError.BadRequest($"queue should be less than 255 bytes, actually was {length}\n");
        }

        if (!request.PermissionsIn(virtualHost.Name).CanConfigure(name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        var created = !virtualHost.TryGetQueue(name, out _);
        var result = virtualHost.DeclareQueue(name, passive: false, ApiRequest.Flag(body, "durable", false), exclusive: false, ApiRequest.Flag(body, "auto_delete", false), FieldTableJson.FromJson(body["arguments"]), connection: null);
        EngineErrors.ThrowIfError(result.Error);
        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }

    private async Task Delete(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        if (!virtualHost.TryGetQueue(args[1], out var queue))
        {
            throw ApiError.NotFound();
        }

        if (!request.PermissionsIn(virtualHost.Name).CanConfigure(queue.Name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        var result = virtualHost.DeleteQueue(queue.Name, request.Query("if-unused") == "true", request.Query("if-empty") == "true", connection: null);
        EngineErrors.ThrowIfError(result.Error);
        await context.Engine.Definitions.WhenPersisted();
        await request.NoContent();
    }

    private Task Purge(ApiRequest request, string[] args)
    {
        var queue = FindForWrite(request, args);
        if (!request.PermissionsIn(queue.VirtualHost.Name).CanRead(queue.Name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        EngineErrors.ThrowIfError(queue.Type.CheckPurge(queue));
        queue.Purge();
        return request.NoContent();
    }

    private static MessageQueue FindForWrite(ApiRequest request, string[] args)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        return virtualHost.TryGetQueue(args[1], out var queue) ? queue : throw ApiError.NotFound();
    }

    /// <summary>
    /// Takes up to count messages as basic.get would, then acks, requeues or rejects them all as the
    /// ackmode says (requeued ones go back to their places, marked redelivered, as RabbitMQ's do).
    /// </summary>
    private async Task Get(ApiRequest request, string[] args)
    {
        // An unknown queue is the basic.get's channel error, as RabbitMQ answers it.
        var virtualHost = request.VirtualHostForWrite(args[0]);
        if (!virtualHost.TryGetQueue(args[1], out var queue))
        {
            throw new ApiError(404, "not_found", $"NOT_FOUND - no queue '{args[1]}' in vhost '{virtualHost.Name}'");
        }

        var body = await request.ReadObjectAsync();
        RequiredKeys.Check(body, nullIsMissing: true, "ackmode", "count", "encoding");

        // rabbitmqadmin sends numbers as strings; RabbitMQ takes both.
        if (!int.TryParse(body["count"]!.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            throw ApiError.BadRequest("count is not an integer");
        }

        var ackMode = body["ackmode"]!.ToString();
        var encoding = body["encoding"]!.ToString();

        var action = ackMode switch
        {
            "ack_requeue_true" or "reject_requeue_true" => SettleAction.Requeue,
            "ack_requeue_false" => SettleAction.Ack,
            "reject_requeue_false" => SettleAction.Discard,
            _ => throw ApiError.BadRequest($"Unknown ackmode: {ackMode}"),
        };
        if (encoding is not ("auto" or "base64"))
        {
            throw ApiError.BadRequest("Unsupported encoding. Please use auto or base64.");
        }

        var truncate = body["truncate"] is JsonValue truncateValue
            && int.TryParse(truncateValue.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) ? limit : -1;
        if (!request.PermissionsIn(queue.VirtualHost.Name).CanRead(queue.Name))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        EngineErrors.ThrowIfError(queue.Type.CheckGet(queue));
        var taken = new List<QueueEntry>();
        var result = new JsonArray();
        var batch = new FlushBatch();
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (!queue.TryGet(noAck: false, out var entry, out var remaining, batch))
                {
                    break;
                }

                taken.Add(entry);
                queue.VirtualHost.TraceGet(new Engine.Tracing.TraceOrigin($"<{context.Engine.Options.NodeName}.management>", 1, request.User.Name), queue, entry);
                result.Add(MessageJson(entry, remaining, encoding, truncate));
            }
        }
        finally
        {
            if (taken.Count > 0)
            {
                queue.Settle(taken.ToArray(), action, batch);
                if (action == SettleAction.Ack)
                {
                    queue.Stats.OnAcked(taken.Count);
                }
            }

            batch.FlushAll();
        }

        await request.Json(result);
    }

    private static JsonObject MessageJson(in QueueEntry entry, long remaining, string encoding, int truncate)
    {
        var message = entry.Message;
        var body = message.Body;
        var shown = truncate >= 0 && truncate < body.Length ? body[..truncate] : body;
        string payload;
        string payloadEncoding;
        // RabbitMQ's auto: any valid UTF-8 is a string, control characters included.
        if (encoding == "auto" && System.Text.Unicode.Utf8.IsValid(shown))
        {
            payload = Encoding.UTF8.GetString(shown);
            payloadEncoding = "string";
        }
        else
        {
            payload = Convert.ToBase64String(shown);
            payloadEncoding = "base64";
        }

        // RabbitMQ writes an empty property list as [], not {}.
        var properties = MessagePropertiesJson.ToJson(BasicProperties.Read(message.Properties));
        return new JsonObject
        {
            ["payload_bytes"] = message.BodyLength,
            ["redelivered"] = entry.Redelivered,
            ["exchange"] = Encoding.UTF8.GetString(message.Exchange),
            ["routing_key"] = Encoding.UTF8.GetString(message.RoutingKey),
            ["message_count"] = remaining,
            ["properties"] = properties.Count > 0 ? properties : new JsonArray(),
            ["payload"] = payload,
            ["payload_encoding"] = payloadEncoding,
        };
    }
}
