using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Publishing;

/// <summary>
/// Builds the message a queue dead-letters, as RabbitMQ's rabbit_dead_letter does: the x-death header
/// gets an entry per queue and reason (most recent first, counting repeats), the first death also
/// sets x-first-death-reason/-queue/-exchange, a per-message expiration moves into the entry as
/// original-expiration, and with x-dead-letter-routing-key the CC header goes.
/// </summary>
internal static class DeadLetters
{
    public static string ReasonText(DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.Rejected => "rejected",
        DeadLetterReason.Expired => "expired",
        DeadLetterReason.DeliveryLimit => "delivery_limit",
        _ => "maxlen",
    };

    /// <summary>
    /// A new message for the dead-letter exchange. Its routing key is x-dead-letter-routing-key, or the
    /// one it was published with, whose CC header and hidden BCC keys then route it too (the
    /// publish operation routes those as it does a publisher's); with x-dead-letter-routing-key both go,
    /// as RabbitMQ replaces the message's routing keys then.
    /// </summary>
    public static Message Create(MessagePool pool, Message original, string queue, DeadLetterReason reason, string deadLetterExchange, string? deadLetterRoutingKey)
    {
        var properties = BasicProperties.Read(original.Properties);
        var headers = properties.Headers ?? new FieldTable();
        var firstKey = TextEncoding.UTF8.GetString(original.RoutingKey);

        // The keys it was published with: the routing key, then the CC keys (BCC was removed at publish).
        var publishedKeys = new List<object?> { TextEncoding.UTF8.GetBytes(firstKey) };
        if (headers["CC"] is List<object?> cc)
        {
            publishedKeys.AddRange(cc);
        }

        var info = new FieldTable
        {
            ["count"] = 1L,
            ["reason"] = ReasonText(reason),
            ["queue"] = queue,
            ["time"] = new AmqpTimestamp((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            ["exchange"] = TextEncoding.UTF8.GetString(original.Exchange),
            ["routing-keys"] = publishedKeys,
        };
        if (properties.Expiration is { } expiration)
        {
            info["original-expiration"] = expiration;
        }

        UpdateDeaths(headers, info, queue, ReasonText(reason));
        if (deadLetterRoutingKey is not null)
        {
            headers.Remove("CC");
        }

        properties.Headers = headers;
        properties.Expiration = null;
        var encoded = properties.Encode();
        var message = pool.Rent(
            TextEncoding.UTF8.GetBytes(deadLetterExchange),
            TextEncoding.UTF8.GetBytes(deadLetterRoutingKey ?? firstKey),
            encoded,
            original.BodyLength,
            original.IsPersistent,
            original.Priority);
        message.AppendBody(original.Body);
        message.HiddenRoutingKeys = deadLetterRoutingKey is null ? original.HiddenRoutingKeys : null;
        return message;
    }

    /// <summary>
    /// rabbit_dead_letter:is_cycle: routing the message to <paramref name="queue"/> closes a cycle of
    /// dead-lettering with no rejection in it, and the message is dropped there instead.
    /// </summary>
    public static bool IsCycle(Message message, string queue)
    {
        var properties = BasicProperties.Read(message.Properties);
        if (properties.Headers?["x-death"] is not List<object?> deaths)
        {
            return false;
        }

        foreach (var death in deaths)
        {
            if (death is not FieldTable table)
            {
                return false;
            }

            if (FieldValues.AsString(table["reason"]) == "rejected")
            {
                return false;
            }

            if (FieldValues.AsString(table["queue"]) == queue)
            {
                return true;
            }
        }

        return false;
    }

    private static void UpdateDeaths(FieldTable headers, FieldTable info, string queue, string reason)
    {
        if (headers["x-death"] is not List<object?> deaths)
        {
            headers["x-first-death-reason"] = reason;
            headers["x-first-death-queue"] = queue;
            headers["x-first-death-exchange"] = info["exchange"];
            headers["x-death"] = new List<object?> { info };
            return;
        }

        // An entry for the same queue and reason moves to the front with its count incremented.
        for (var i = 0; i < deaths.Count; i++)
        {
            if (deaths[i] is FieldTable existing
                && FieldValues.AsString(existing["queue"]) == queue
                && FieldValues.AsString(existing["reason"]) == reason)
            {
                existing["count"] = (FieldValues.AsInteger(existing["count"]) ?? 0) + 1;
                deaths.RemoveAt(i);
                deaths.Insert(0, existing);
                return;
            }
        }

        deaths.Insert(0, info);
    }
}
