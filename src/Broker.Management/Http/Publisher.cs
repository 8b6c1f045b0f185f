using System.Globalization;
using System.Text;
using Broker.DataModel.Content;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Routing;
using Broker.Engine.Tracing;
using Broker.Engine.VirtualHosts;

namespace Broker.Management.Http;

/// <summary>
/// Publishes a message given over HTTP through the same publish operation AMQP publishes use (routing,
/// alternate exchanges, TTL, persistence), without confirms: the HTTP answer says only whether it was routed.
/// </summary>
public static class Publisher
{
    /// <param name="user">Who published, for the firehose (RabbitMQ names the management plugin's direct connection and channel 1).</param>
    public static bool Publish(VirtualHost virtualHost, Exchange exchange, string routingKey, BasicProperties properties, ReadOnlySpan<byte> body, string user)
    {
        var pool = virtualHost.Engine.Messages;
        var message = pool.Rent(
            Encoding.UTF8.GetBytes(exchange.Name), Encoding.UTF8.GetBytes(routingKey), properties.Encode(), body.Length,
            persistent: properties.DeliveryMode == 2, priority: properties.Priority ?? 0);
        message.AppendBody(body);
        if (properties.Expiration is { } expiration
            && long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl))
        {
            message.TimeToLive = ttl;
        }

        var batch = new FlushBatch();
        try
        {
            var parsed = MessageProperties.Parse(message.Properties);
            var origin = virtualHost.Tracing ? new TraceOrigin($"<{virtualHost.Engine.Options.NodeName}.management>", 1, user) : null;
            var outcome = virtualHost.Publish(exchange, ref message, parsed.HeadersBody, new RouteTargets(), batch, origin: origin);
            return outcome.Routed;
        }
        finally
        {
            message.Release();
            batch.FlushAll();
        }
    }
}
