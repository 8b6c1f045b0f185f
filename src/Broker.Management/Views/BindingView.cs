using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>
/// A binding as /api/bindings writes it, including the default exchange's implicit binding of every
/// queue. properties_key names a binding in a URL as RabbitMQ's does: the routing key form-quoted
/// ("~" when empty) when it has no arguments, else the quoted key, "~" and a hash of the arguments
/// (RabbitMQ hashes with Erlang's phash2, so keys of bindings with arguments differ from RabbitMQ's;
/// clients take them from a listing).
/// </summary>
public static class BindingView
{
    public readonly record struct Row(string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments);

    public static Row From(Binding binding) => new(
        binding.Source.VirtualHost.Name,
        binding.Source.Name,
        binding.Destination is MessageQueue queue ? queue.Name : ((Exchange)binding.Destination).Name,
        binding.Destination is MessageQueue,
        binding.RoutingKey,
        binding.Arguments);

    /// <summary>The default exchange's binding to a queue (RabbitMQ lists it though no one made it).</summary>
    public static Row Default(MessageQueue queue) => new(queue.VirtualHost.Name, string.Empty, queue.Name, true, queue.Name, new FieldTable());

    public static JsonObject Build(in Row row) => new()
    {
        ["source"] = row.Source,
        ["vhost"] = row.VirtualHost,
        ["destination"] = row.Destination,
        ["destination_type"] = row.ToQueue ? "queue" : "exchange",
        ["routing_key"] = row.RoutingKey,
        ["arguments"] = FieldTableJson.ToJson(row.Arguments),
        ["properties_key"] = PropertiesKey(row.RoutingKey, row.Arguments),
    };

    public static string PropertiesKey(string routingKey, FieldTable arguments)
    {
        if (arguments.Count == 0)
        {
            return routingKey.Length == 0 ? "~" : QuoteKey(routingKey);
        }

        return QuoteKey(routingKey) + "~" + ArgumentsHash(arguments);
    }

    /// <summary>
    /// Whether a properties key taken from a URL (percent-decoded once) names this binding. As
    /// RabbitMQ: split at the first "~" into the key and the arguments' hash, each form-unquoted, so
    /// "a+b%2Fc" (the listing's key) and "a b/c" (the routing key) both name the key "a b/c".
    /// </summary>
    public static bool Matches(string propertiesKey, string routingKey, FieldTable arguments)
    {
        var tilde = propertiesKey.IndexOf('~', StringComparison.Ordinal);
        var key = Unquote(tilde < 0 ? propertiesKey : propertiesKey[..tilde]);
        var hash = tilde < 0 ? string.Empty : Unquote(propertiesKey[(tilde + 1)..]);
        return key == routingKey && (arguments.Count == 0 ? hash.Length == 0 : hash == ArgumentsHash(arguments));
    }

    /// <summary>
    /// RabbitMQ's quote_plus (mochiweb's): letters, digits and ".-~_" stay, a space is "+", every
    /// other UTF-8 byte is %XX in upper case.
    /// </summary>
    public static string QuotePlus(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'.' or (byte)'-' or (byte)'~' or (byte)'_')
            {
                builder.Append((char)b);
            }
            else if (b == (byte)' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>A routing key in a properties key: quoted, with "~" quoted too since it separates the hash.</summary>
    private static string QuoteKey(string routingKey) => QuotePlus(routingKey).Replace("~", "%7E", StringComparison.Ordinal);

    private static string ArgumentsHash(FieldTable arguments)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(FieldTableJson.ToJson(arguments).ToJsonString())).AsSpan(0, 6).ToArray();
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Form decoding: "+" is a space, %XX a byte; malformed escapes stay as they are.</summary>
    private static string Unquote(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (text[i] == '%' && i + 2 < text.Length
                && byte.TryParse(text.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, length)));
                i += length - 1;
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
