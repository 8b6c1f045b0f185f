using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Messages;
using TextEncoding = System.Text.Encoding;

namespace Broker.Engine.Tracing;

/// <summary>
/// Builds the copy of a publish or delivery that goes to amq.rabbitmq.trace, as RabbitMQ 3.10's
/// rabbit_trace does: routing key "publish.EXCHANGE" or "deliver.QUEUE", the original body, and no
/// property but headers, which describe the message (exchange_name, routing_keys, properties, node)
/// and who published or received it. Cold: runs only while a vhost traces.
/// </summary>
internal static class TraceMessage
{
    public const string ExchangeName = "amq.rabbitmq.trace";

    public static ReadOnlySpan<byte> ExchangeNameBytes => "amq.rabbitmq.trace"u8;

    /// <summary>A trace copy for <paramref name="traced"/>; the caller publishes it and releases its reference.</summary>
    public static Message Create(MessagePool pool, in TraceEvent traced, string virtualHost, string node)
    {
        var message = traced.Message;
        var properties = DeliveredProperties(message.Properties, traced.Annotation);
        var routingKeys = RoutingKeys(message, properties);
        var headers = Describe(message, routingKeys, properties, node);

        // The rest in rabbit_trace's order: a delivery's redelivered flag first, routed_queues last.
        if (traced.IsDelivery)
        {
            headers["redelivered"] = traced.Redelivered ? 1 : 0;
        }

        headers["vhost"] = virtualHost;
        headers["connection"] = traced.Origin.Connection;
        headers["channel"] = traced.Origin.Channel;
        headers["user"] = traced.Origin.User;
        if (!traced.IsDelivery)
        {
            headers["routed_queues"] = traced.RoutedByKey ? SortedDistinct(routingKeys) : new List<object?>(traced.RoutedQueues!);
        }

        var key = TextEncoding.UTF8.GetBytes(traced.IsDelivery ? "deliver." + traced.Queue : "publish." + TextEncoding.UTF8.GetString(message.Exchange));
        var encoded = new BasicProperties { Headers = headers }.Encode();
        var copy = pool.Rent(ExchangeNameBytes, key, encoded, message.BodyLength, persistent: false, priority: 0);
        copy.AppendBody(message.Body);
        return copy;
    }

    /// <summary>The properties as the consumer got them: with the queue's annotation header, when it adds one.</summary>
    private static BasicProperties DeliveredProperties(ReadOnlySpan<byte> stored, in Sessions.DeliveryAnnotation annotation)
    {
        if (annotation.IsNone)
        {
            return BasicProperties.Read(stored);
        }

        var buffer = new byte[HeaderAnnotation.MaxSize(stored, annotation.HeaderName)];
        var written = HeaderAnnotation.Write(stored, annotation.HeaderName, annotation.Value, buffer);
        return BasicProperties.Read(buffer.AsSpan(0, written));
    }

    /// <summary>rabbit_trace's msg_to_table: the message's exchange, routing keys and properties, and the node.</summary>
    private static FieldTable Describe(Message message, List<object?> routingKeys, BasicProperties properties, string node) => new()
    {
        ["exchange_name"] = message.Exchange.ToArray(),
        ["routing_keys"] = routingKeys,
        ["properties"] = PropertiesTable(properties),
        ["node"] = node,
    };

    /// <summary>
    /// A message's routing keys as RabbitMQ keeps them: its key, then its CC keys, then the BCC keys it
    /// was published with (rabbit_basic:header_routes keeps only longstr entries).
    /// </summary>
    private static List<object?> RoutingKeys(Message message, BasicProperties properties)
    {
        var keys = new List<object?> { message.RoutingKey.ToArray() };
        if (properties.Headers?["CC"] is List<object?> cc)
        {
            foreach (var key in cc)
            {
                if (key is byte[])
                {
                    keys.Add(key);
                }
            }
        }

        if (message.HiddenRoutingKeys is { } bcc)
        {
            foreach (var key in bcc)
            {
                keys.Add(TextEncoding.UTF8.GetBytes(key));
            }
        }

        return keys;
    }

    /// <summary>lists:usort of the keys: byte order, each once.</summary>
    private static List<object?> SortedDistinct(List<object?> keys)
    {
        var sorted = keys.Cast<byte[]>().ToList();
        sorted.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        var distinct = new List<object?>(sorted.Count);
        foreach (var key in sorted)
        {
            if (distinct.Count == 0 || !((byte[])distinct[^1]!).AsSpan().SequenceEqual(key))
            {
                distinct.Add(key);
            }
        }

        return distinct;
    }

    /// <summary>
    /// The properties that are set, as 3.10 lists them (last property first): strings as longstr (as
    /// every string here is), integers as signedint, headers as a table.
    /// </summary>
    private static FieldTable PropertiesTable(BasicProperties properties)
    {
        var table = new FieldTable();
        AddText(table, "cluster_id", properties.ClusterId);
        AddText(table, "app_id", properties.AppId);
        AddText(table, "user_id", properties.UserId);
        AddText(table, "type", properties.Type);
        if (properties.Timestamp is { } timestamp)
        {
            // 3.10 writes it as a 32-bit signedint, which garbles a time past 2038; later versions
            // write a long. Both agree until then; past it, the long keeps the value.
            var seconds = timestamp.UnixSeconds;
            table["timestamp"] = seconds <= int.MaxValue ? (int)seconds : (object)(long)seconds;
        }

        AddText(table, "message_id", properties.MessageId);
        AddText(table, "expiration", properties.Expiration);
        AddText(table, "reply_to", properties.ReplyTo);
        AddText(table, "correlation_id", properties.CorrelationId);
        if (properties.Priority is { } priority)
        {
            table["priority"] = (int)priority;
        }

        if (properties.DeliveryMode is { } deliveryMode)
        {
            table["delivery_mode"] = (int)deliveryMode;
        }

        if (properties.Headers is { } headers)
        {
            table["headers"] = headers;
        }

        AddText(table, "content_encoding", properties.ContentEncoding);
        AddText(table, "content_type", properties.ContentType);
        return table;
    }

    private static void AddText(FieldTable table, string name, string? value)
    {
        if (value is not null)
        {
            table[name] = value;
        }
    }
}
