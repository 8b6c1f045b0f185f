using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary><c>purge queue NAME [--vhost V]</c>: drops the queue's ready messages.</summary>
internal static class PurgeCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        var kind = line.NextKeyword();
        if (kind != "queue")
        {
            throw new UsageException("purge what? purge queue NAME");
        }

        var name = line.NextName("queue name");
        var vhost = Change.Vhost(line);
        var path = ApiPath.Of("queues", ApiPath.Segment(vhost), ApiPath.Segment(name), "contents");
        return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"purged {Describe.InVhost("queue", name, vhost)}");
    }
}
