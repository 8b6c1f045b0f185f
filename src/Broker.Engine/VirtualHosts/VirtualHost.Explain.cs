using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;

namespace Broker.Engine.VirtualHosts;

/// <summary>
/// "Explain this route" (the management API's extension): which bindings of an exchange, and of every
/// exchange the message reaches from it, match a message and why the others do not. Each exchange
/// answers with its own matching (<see cref="Exchange.Explain"/>); the queues reached come from the
/// publish operation's own <see cref="Route(Exchange, ref Messages.Message, ReadOnlySpan{byte}, RouteTargets, Tracing.TraceOrigin?)"/>.
/// Cold path: nothing here runs when a message is published.
/// </summary>
public sealed partial class VirtualHost
{
    /// <summary>Explains where a message with <paramref name="routingKey"/> and <paramref name="properties"/> would go from <paramref name="exchange"/>.</summary>
    /// <exception cref="ArgumentException">The routing key is longer than AMQP's 255 bytes.</exception>
    public RouteExplanation ExplainRoute(Exchange exchange, string routingKey, BasicProperties properties)
    {
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(routingKey);
        if (keyBytes.Length > RoutingKey.MaxBytes)
        {
            throw new ArgumentException($"a routing key is at most {RoutingKey.MaxBytes} bytes", nameof(routingKey));
        }

        var encoded = properties.Encode();
        var headers = MessageProperties.Parse(encoded).HeadersBody;
        var routed = new RoutedMessage(headers, encoded, keyBytes);
        var explanation = new RouteExplanation();
        ExplainKey(exchange, routingKey, "published to", routed, explanation);
        foreach (var (header, key) in SenderSelectedKeys(properties.Headers))
        {
            ExplainKey(exchange, key, $"published to, for the {header} header's key \"{key}\"", routed, explanation);
        }

        // The answer itself comes from routing as a publish does (CC, BCC, alternate exchanges, delays).
        var message = Engine.Messages.Rent(
            System.Text.Encoding.UTF8.GetBytes(exchange.Name), keyBytes, encoded, 0, persistent: properties.DeliveryMode == 2, priority: properties.Priority ?? 0);
        try
        {
            var targets = new RouteTargets();
            Route(exchange, ref message, headers, targets);
            explanation.Queues.AddRange(targets.Queues);
            explanation.Delayed.AddRange(targets.Delayed);
            explanation.InvalidDelay = targets.InvalidDelay;
        }
        finally
        {
            message.Release();
        }

        return explanation;
    }

    private static List<(string Header, string Key)> SenderSelectedKeys(FieldTable? headers)
    {
        var keys = new List<(string, string)>();
        foreach (var header in (ReadOnlySpan<string>)["CC", "BCC"])
        {
            if (headers?[header] is List<object?> values)
            {
                foreach (var value in values)
                {
                    if (FieldValues.AsString(value) is { } key && System.Text.Encoding.UTF8.GetByteCount(key) <= RoutingKey.MaxBytes)
                    {
                        keys.Add((header, key));
                    }
                }
            }
        }

        return keys;
    }

    /// <summary>Walks the exchanges one key reaches, as <see cref="Route(Exchange, RoutingKey, RoutedMessage, RouteTargets)"/> does (each exchange once).</summary>
    private void ExplainKey(Exchange start, string key, string reachedBy, RoutedMessage message, RouteExplanation explanation)
    {
        Span<char> buffer = stackalloc char[RoutingKey.MaxChars];
        var routingKey = RoutingKey.Decode(System.Text.Encoding.UTF8.GetBytes(key), buffer);
        var visited = new List<Exchange> { start };
        var pending = new Queue<(Exchange Exchange, string ReachedBy)>();
        pending.Enqueue((start, reachedBy));
        var matches = new List<IBindingDestination>();
        var delays = new RouteTargets();
        while (pending.TryDequeue(out var next))
        {
            var current = next.Exchange;
            var visit = new ExchangeVisit(current, key, next.ReachedBy, current.DescribeRouting(routingKey, message));
            explanation.Visits.Add(visit);
            current.Explain(routingKey, message, visit.Bindings);
            matches.Clear();
            var held = current is DelayedMessageExchange delayed && delays.TryDelay(delayed, message.Headers);
            if (!held)
            {
                current.Match(routingKey, message, matches);
            }

            Exchange? viaAlternate = null;
            visit.AlternateExchange = current.AlternateExchange;
            if (current.AlternateExchange is { } alternateName)
            {
                if (matches.Count > 0)
                {
                    visit.AlternateNote = "not used: a binding matched";
                }
                else if (TryGetExchange(alternateName, out var alternate))
                {
                    visit.AlternateNote = held ? "used: the delay holds the message, so no binding matches now" : "used: no binding matched";
                    matches.Add(alternate);
                    viaAlternate = alternate;
                }
                else
                {
                    visit.AlternateNote = $"no exchange \"{alternateName}\" exists in this vhost: the message is dropped";
                }
            }

            foreach (var destination in matches)
            {
                if (destination.IsDeleted)
                {
                    visit.Notes.Add($"\"{destination.Name}\" was deleted");
                }
                else if (destination is Exchange exchange)
                {
                    if (visited.Contains(exchange))
                    {
                        visit.Notes.Add($"exchange \"{exchange.Name}\" was already visited: an exchange routes a message once");
                        continue;
                    }

                    visited.Add(exchange);
                    var how = ReferenceEquals(exchange, viaAlternate)
                        ? $"the alternate exchange of \"{Display(current)}\""
                        : $"a binding from \"{Display(current)}\"";
                    pending.Enqueue((exchange, how));
                }
            }
        }
    }

    private static string Display(Exchange exchange) => exchange.Name.Length == 0 ? "(AMQP default)" : exchange.Name;
}
