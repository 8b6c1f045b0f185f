namespace Broker.Cli.Commands;

/// <summary>How messages name objects: <c>queue 'orders' in vhost '/'</c>.</summary>
internal static class Describe
{
    public static string InVhost(string kind, string name, string vhost) => $"{kind} '{name}' in vhost '{vhost}'";

    public static string Named(string kind, string name) => $"{kind} '{name}'";
}
