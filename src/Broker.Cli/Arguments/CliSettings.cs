using System.Globalization;

namespace Broker.Cli.Arguments;

/// <summary>
/// Where and how to reach the management API, from the options every command takes and the
/// environment. The command line wins over credentials in the URL, which win over the environment.
/// </summary>
internal sealed record CliSettings(Uri BaseUri, string User, string Password, OutputFormat Format, TimeSpan Timeout)
{
    public const string DefaultUrl = "http://127.0.0.1:15672/";

    public static CliSettings Resolve(CommandLine line, Func<string, string?> environment)
    {
        var url = line.Option("url") ?? NonEmpty(environment("BROKER_MANAGEMENT_URL")) ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url must be an http:// or https:// URL, not '{url}'");
        }

        string? urlUser = null;
        string? urlPassword = null;
        if (parsed.UserInfo.Length > 0)
        {
            var colon = parsed.UserInfo.IndexOf(':', StringComparison.Ordinal);
            urlUser = Uri.UnescapeDataString(colon < 0 ? parsed.UserInfo : parsed.UserInfo[..colon]);
            urlPassword = colon < 0 ? null : Uri.UnescapeDataString(parsed.UserInfo[(colon + 1)..]);
        }

        var user = line.Option("user") ?? urlUser ?? NonEmpty(environment("BROKER_ADMIN_USER")) ?? "guest";
        var password = line.Option("password") ?? urlPassword ?? environment("BROKER_ADMIN_PASSWORD") ?? "guest";

        // The API lives under the URL's path (RabbitMQ's management.path_prefix): keep the path, end it
        // with a slash, and drop what is not part of the base.
        var builder = new UriBuilder(parsed) { UserName = "", Password = "", Query = "", Fragment = "" };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        var format = line.Option("format") switch
        {
            null or "table" => OutputFormat.Table,
            "json" => OutputFormat.Json,
            var other => throw new UsageException($"--format is table or json, not '{other}'"),
        };
        var timeout = line.IntOption("timeout", 1, 3600) ?? 30;
        return new CliSettings(builder.Uri, user, password, format, TimeSpan.FromSeconds(timeout));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{BaseUri} as {User}");
}
