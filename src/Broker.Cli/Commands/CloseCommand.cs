using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>close connection NAME [--reason TEXT]</c>: the broker closes the client's connection with 320
/// CONNECTION_FORCED and the reason. NAME is the connection's name as <c>list connections</c> shows it.
/// </summary>
internal static class CloseCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        var kind = line.NextKeyword();
        if (kind != "connection")
        {
            throw new UsageException("close what? close connection NAME [--reason TEXT]");
        }

        var name = line.NextName("connection name");
        var reason = line.Option("reason");
        if (reason is not null && reason.Any(char.IsControl))
        {
            // It travels in an HTTP header, which cannot hold line breaks.
            throw new UsageException("--reason must be one line");
        }

        var path = ApiPath.Of("connections", ApiPath.Segment(name));
        return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"closed {Describe.Named("connection", name)}", reason);
    }
}
