using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Cli.Arguments;
using Broker.Cli.Http;
using Broker.Cli.Output;

namespace Broker.Cli.Commands;

/// <summary>
/// For quick tests, over the API as rabbitmqadmin does: <c>publish --routing-key K [--exchange E]
/// [--payload TEXT] [--payload-encoding string|base64] [--properties JSON]</c> and <c>get queue NAME
/// [--count N] [--ackmode MODE] [--encoding auto|base64]</c>. get leaves the messages in the queue
/// unless --ackmode says otherwise.
/// </summary>
internal static class MessageCommands
{
    private static readonly string[] GetColumns = ["routing_key", "exchange", "redelivered", "message_count", "payload_bytes", "payload_encoding", "payload"];

    public static PreparedCommand PreparePublish(CommandLine line)
    {
        var vhost = Change.Vhost(line);

        // The API names the default exchange amq.default, since an empty path segment names nothing.
        var exchange = line.Option("exchange") is { Length: > 0 } e ? e : "amq.default";
        var body = new JsonObject
        {
            ["properties"] = JsonOption.Object(line, "properties") ?? [],
            ["routing_key"] = line.RequiredOption("routing-key", "K (\"\" for none)"),
            ["payload"] = line.Option("payload") ?? "",
            ["payload_encoding"] = line.Option("payload-encoding") ?? "string",
        };
        var path = ApiPath.Of("exchanges", ApiPath.Segment(vhost), ApiPath.Segment(exchange), "publish");
        return async context =>
        {
            var response = (await context.Client.SendAsync(HttpMethod.Post, path, body.ToJsonString()).ConfigureAwait(false)).EnsureSuccess();
            if (context.Format == OutputFormat.Json)
            {
                context.Out.WriteLine(response.Body);
                return ExitCodes.Ok;
            }

            using var document = response.Json();
            var routed = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("routed", out var r) && r.ValueKind == JsonValueKind.True;
            context.Out.WriteLine(routed ? "published, routed" : "published, but not routed: no queue took it");
            return ExitCodes.Ok;
        };
    }

    public static PreparedCommand PrepareGet(CommandLine line)
    {
        if (line.NextKeyword() != "queue")
        {
            throw new UsageException("get from what? get queue NAME [--count N] [--ackmode MODE]");
        }

        var name = line.NextName("queue name");
        var vhost = Change.Vhost(line);
        var body = new JsonObject
        {
            ["count"] = line.IntOption("count", 1, int.MaxValue) ?? 1,
            ["ackmode"] = line.Option("ackmode") ?? "ack_requeue_true",
            ["encoding"] = line.Option("encoding") ?? "auto",
        };
        var path = ApiPath.Of("queues", ApiPath.Segment(vhost), ApiPath.Segment(name), "get");
        return async context =>
        {
            var response = (await context.Client.SendAsync(HttpMethod.Post, path, body.ToJsonString()).ConfigureAwait(false)).EnsureSuccess();
            if (context.Format == OutputFormat.Json)
            {
                context.Out.WriteLine(response.Body);
                return ExitCodes.Ok;
            }

            using var document = response.Json();
            var table = new TableWriter(GetColumns);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in document.RootElement.EnumerateArray())
                {
                    table.Add([.. GetColumns.Select(column => JsonCell.Render(message, column))]);
                }
            }

            if (table.RowCount == 0)
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Describe.InVhost("queue", name, vhost)} is empty"));
                return ExitCodes.Ok;
            }

            table.Write(context.Out);
            return ExitCodes.Ok;
        };
    }
}
