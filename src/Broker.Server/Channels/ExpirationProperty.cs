using System.Globalization;
using System.Numerics;
using Broker.Engine.Arguments;

namespace Broker.Server.Channels;

/// <summary>
/// The expiration property as RabbitMQ reads it (rabbit_basic:parse_expiration): Erlang's
/// string:to_integer (an optional sign, then digits), nothing left over, from 0 to ten years of
/// milliseconds. Errors carry RabbitMQ's reason terms.
/// </summary>
internal static class ExpirationProperty
{
    public static bool TryParse(string text, out long milliseconds, out string reason)
    {
        milliseconds = -1;
        var at = 0;
        if (at < text.Length && text[at] is '+' or '-')
        {
            at++;
        }

        var digitsStart = at;
        while (at < text.Length && char.IsAsciiDigit(text[at]))
        {
            at++;
        }

        if (at == digitsStart)
        {
            reason = "no_integer";
            return false;
        }

        var number = BigInteger.Parse(text.AsSpan(0, at), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (at < text.Length)
        {
            reason = $"{{leftover_string,\"{text[at..]}\"}}";
            return false;
        }

        if (number < 0)
        {
            reason = $"{{value_negative,{number}}}";
            return false;
        }

        if (number > QueueArguments.MaxExpiry)
        {
            reason = $"{{value_too_large,{number}}}";
            return false;
        }

        milliseconds = (long)number;
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// "invalid expiration 'X': REASON" with the reason printed as Erlang's ~p does: a two-element
    /// tuple that would run past the line end breaks after its first element and lines up under it.
    /// </summary>
    public static string ErrorText(string text, string reason)
    {
        var prefix = $"invalid expiration '{text}': ";
        const int LineWidth = 79;
        var comma = reason.IndexOf(',', StringComparison.Ordinal);
        if (prefix.Length + reason.Length < LineWidth || !reason.StartsWith('{') || comma < 0)
        {
            return prefix + reason;
        }

        return prefix + reason[..(comma + 1)] + "\n" + new string(' ', prefix.Length + 1) + reason[(comma + 1)..];
    }
}
