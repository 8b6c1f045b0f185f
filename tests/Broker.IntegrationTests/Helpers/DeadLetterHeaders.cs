using System.Collections;
using RabbitMQ.Client;

namespace Broker.IntegrationTests.Helpers;

/// <summary>
/// One entry of the x-death header, read strictly with the field types RabbitMQ 3.10 uses: count is a
/// long, time a timestamp, routing-keys an array of longstr, the rest longstr.
/// </summary>
public sealed record XDeath(
    long Count,
    string Reason,
    string Queue,
    AmqpTimestamp Time,
    string Exchange,
    IReadOnlyList<string> RoutingKeys,
    string? OriginalExpiration,
    IReadOnlySet<string> Keys);

/// <summary>Readers for the headers RabbitMQ adds when it dead-letters a message.</summary>
public static class DeadLetterHeaders
{
    /// <summary>The x-death entries, most recent first; fails the test if the header is missing or malformed.</summary>
    public static IReadOnlyList<XDeath> XDeaths(this IReadOnlyBasicProperties properties)
    {
        var headers = properties.Headers ?? throw new Xunit.Sdk.XunitException("the message has no headers, so no x-death");
        if (!headers.TryGetValue("x-death", out var value) || value is null)
        {
            throw new Xunit.Sdk.XunitException($"no x-death header; headers are: {string.Join(", ", headers.Keys)}");
        }

        if (value is byte[] || value is not IList entries)
        {
            throw new Xunit.Sdk.XunitException($"x-death is a {value.GetType().Name}, not an array");
        }

        return [.. entries.Cast<object?>().Select(Parse)];
    }

    /// <summary>A longstr header as text, or null when the header is absent.</summary>
    public static string? HeaderText(this IReadOnlyBasicProperties properties, string name) =>
        properties.Headers is { } headers && headers.TryGetValue(name, out var value) ? Amqp.HeaderString(value) : null;

    /// <summary>An array-of-longstr header (such as CC) as texts, or null when the header is absent.</summary>
    public static IReadOnlyList<string>? HeaderTexts(this IReadOnlyBasicProperties properties, string name)
    {
        if (properties.Headers is not { } headers || !headers.TryGetValue(name, out var value))
        {
            return null;
        }

        return value is not byte[] && value is IList list
            ? [.. list.Cast<object?>().Select(Amqp.HeaderString)]
            : throw new Xunit.Sdk.XunitException($"header {name} is a {value?.GetType().Name ?? "null"}, not an array");
    }

    private static XDeath Parse(object? entry)
    {
        if (entry is not IDictionary<string, object?> table)
        {
            throw new Xunit.Sdk.XunitException($"x-death entry is a {entry?.GetType().Name ?? "null"}, not a table");
        }

        T Field<T>(string key)
        {
            if (!table.TryGetValue(key, out var value))
            {
                throw new Xunit.Sdk.XunitException($"x-death entry has no '{key}'; it has {string.Join(", ", table.Keys)}");
            }

            return value is T typed
                ? typed
                : throw new Xunit.Sdk.XunitException($"x-death '{key}' is a {value?.GetType().Name ?? "null"}, expected {typeof(T).Name}");
        }

        var routingKeys = Field<IList>("routing-keys");
        return new XDeath(
            Field<long>("count"),
            Amqp.HeaderString(Field<byte[]>("reason")),
            Amqp.HeaderString(Field<byte[]>("queue")),
            Field<AmqpTimestamp>("time"),
            Amqp.HeaderString(Field<byte[]>("exchange")),
            [.. routingKeys.Cast<object?>().Select(Amqp.HeaderString)],
            table.TryGetValue("original-expiration", out var original) ? Amqp.HeaderString(original) : null,
            table.Keys.ToHashSet());
    }
}
