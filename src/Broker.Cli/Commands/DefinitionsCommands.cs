using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>export definitions [FILE] [--vhost V]</c> and <c>import definitions FILE [--vhost V]</c>: the
/// broker's (or one vhost's) users, vhosts, permissions, policies, queues, exchanges and bindings, in
/// RabbitMQ's definitions format, exactly as the API writes and reads it.
/// </summary>
internal static class DefinitionsCommands
{
    public static PreparedCommand PrepareExport(CommandLine line)
    {
        ExpectDefinitions(line, "export definitions [FILE] [--vhost V]");
        var file = line.NextWordOrNull();
        var path = PathFor(line.Option("vhost"));
        return async context =>
        {
            var response = (await context.Client.GetAsync(path).ConfigureAwait(false)).EnsureSuccess();
            // Parsed only to refuse an answer that is not definitions (a proxy's page), not to change it.
            response.Json().Dispose();
            if (file is null || file == "-")
            {
                context.Out.WriteLine(response.Body);
                return ExitCodes.Ok;
            }

            await File.WriteAllTextAsync(file, response.Body).ConfigureAwait(false);
            context.Done($"exported definitions to {file}");
            return ExitCodes.Ok;
        };
    }

    public static PreparedCommand PrepareImport(CommandLine line)
    {
        ExpectDefinitions(line, "import definitions FILE [--vhost V]");
        var file = line.NextWord("definitions file");
        var path = PathFor(line.Option("vhost"));
        return async context =>
        {
            var json = await File.ReadAllTextAsync(file).ConfigureAwait(false);
            return await Change.SendAsync(context, HttpMethod.Post, path, json, $"imported definitions from {file}").ConfigureAwait(false);
        };
    }

    private static void ExpectDefinitions(CommandLine line, string usage)
    {
        if (line.NextKeyword() is not ("definitions" or "definition"))
        {
            throw new UsageException(usage);
        }
    }

    private static string PathFor(string? vhost) => vhost is null ? "definitions" : ApiPath.Of("definitions", ApiPath.Segment(vhost));
}
