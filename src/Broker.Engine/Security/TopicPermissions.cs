using System.Text.RegularExpressions;

namespace Broker.Engine.Security;

/// <summary>
/// A user's topic permissions in a vhost for one topic exchange: regular expressions over the routing
/// keys it may publish with (write) and bind or consume with (read), as RabbitMQ keeps them
/// (rabbit_auth_backend_internal). Stored and reported; not enforced on publish or bind yet.
/// </summary>
public sealed record TopicPermissions(string User, string VirtualHost, string Exchange, string Write, string Read)
{
    /// <summary>Null when both expressions compile (.NET's syntax, close to RabbitMQ's PCRE), else why not.</summary>
    public static string? Invalid(string write, string read) => InvalidPattern(write, "write") ?? InvalidPattern(read, "read");

    private static string? InvalidPattern(string pattern, string what)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"invalid {what} regular expression '{pattern}': {ex.Message}";
        }
    }
}
