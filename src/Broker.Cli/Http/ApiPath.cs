using System.Text;

namespace Broker.Cli.Http;

/// <summary>
/// Builds API paths from names. Every name is one path segment, escaped whole: the default vhost "/"
/// becomes %2F as RabbitMQ expects, and a name with '/', '?', '#', '%' or spaces stays one segment.
/// </summary>
internal static class ApiPath
{
    /// <summary>Joins fixed words and escaped names: <c>Of("queues", Segment(vhost), Segment(name))</c>.</summary>
    public static string Of(params ReadOnlySpan<string> segments)
    {
        var path = new StringBuilder();
        foreach (var segment in segments)
        {
            if (path.Length > 0)
            {
                path.Append('/');
            }

            path.Append(segment);
        }

        return path.ToString();
    }

    /// <summary>One name as one escaped path segment.</summary>
    public static string Segment(string name)
    {
        // "." and ".." are dot-segments that a URL parser removes; escaped they reach the server as the
        // name (the client sends the path as built, see ManagementClient).
        if (name is "." or "..")
        {
            return name.Replace(".", "%2E", StringComparison.Ordinal);
        }

        return Uri.EscapeDataString(name);
    }

    /// <summary>A query string from pairs whose value is not null: <c>?a=1&amp;b=x</c>, or empty.</summary>
    public static string Query(params ReadOnlySpan<(string Name, string? Value)> pairs)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            if (value is null)
            {
                continue;
            }

            query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return query.ToString();
    }
}
