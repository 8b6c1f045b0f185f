using System.Text.Json.Nodes;

namespace Broker.Management.Http;

/// <summary>The one check of a body's required keys, answered with RabbitMQ's [{key_missing,K},...] 400.</summary>
public static class RequiredKeys
{
    /// <summary>Missing means absent, or also JSON null when <paramref name="nullIsMissing"/> (RabbitMQ differs per endpoint).</summary>
    public static void Check(JsonObject body, bool nullIsMissing, params string[] keys) =>
        Check(body, value => value is not null || !nullIsMissing, keys);

    /// <summary>Missing is what <paramref name="isPresent"/> refuses (given the key's value) or an absent key.</summary>
    public static void Check(JsonObject body, Func<JsonNode?, bool> isPresent, params string[] keys)
    {
        List<string> missing = [];
        foreach (var key in keys)
        {
            if (!body.TryGetPropertyValue(key, out var value) || !isPresent(value))
            {
                missing.Add(key);
            }
        }

        if (missing.Count > 0)
        {
            throw ApiError.KeysMissing(missing);
        }
    }
}
