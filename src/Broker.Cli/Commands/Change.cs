using Broker.Cli.Arguments;

namespace Broker.Cli.Commands;

/// <summary>Sends one request that changes something and confirms it in one line.</summary>
internal static class Change
{
    public static async Task<int> SendAsync(CommandContext context, HttpMethod method, string path, string? json, string done, string? reason = null)
    {
        var response = (await context.Client.SendAsync(method, path, json, reason).ConfigureAwait(false)).EnsureSuccess();
        if (context.Format == OutputFormat.Json && response.Body.Length > 0)
        {
            context.Out.WriteLine(response.Body);
        }

        context.Done(done);
        return ExitCodes.Ok;
    }

    /// <summary>The vhost a command acts in: --vhost, or the default vhost "/".</summary>
    public static string Vhost(CommandLine line) => line.Option("vhost") ?? "/";
}
