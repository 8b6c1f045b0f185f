using System.Text.Json;
using Broker.Cli.Arguments;
using Broker.Cli.Output;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>status</c>: the overview — product and version, node, object totals, message totals and rates —
/// as one name and value a line (the table), or the API's overview as it is (JSON).
/// </summary>
internal static class StatusCommand
{
    private static readonly (string Label, string Path)[] Fields =
    [
        ("cluster", "cluster_name"),
        ("node", "node"),
        ("connections", "object_totals.connections"),
        ("channels", "object_totals.channels"),
        ("exchanges", "object_totals.exchanges"),
        ("queues", "object_totals.queues"),
        ("consumers", "object_totals.consumers"),
        ("messages", "queue_totals.messages"),
        ("messages ready", "queue_totals.messages_ready"),
        ("messages unacknowledged", "queue_totals.messages_unacknowledged"),
        ("publish rate (msg/s)", "message_stats.publish_details.rate"),
        ("deliver rate (msg/s)", "message_stats.deliver_get_details.rate"),
        ("ack rate (msg/s)", "message_stats.ack_details.rate"),
    ];

    public static PreparedCommand Prepare(CommandLine line) => async context =>
    {
        var response = (await context.Client.GetAsync("overview").ConfigureAwait(false)).EnsureSuccess();
        using var document = response.Json();
        if (context.Format == OutputFormat.Json)
        {
            context.Out.WriteLine(response.Body);
            return ExitCodes.Ok;
        }

        var overview = document.RootElement;
        var table = new TableWriter(["", ""]);
        table.Add(["product", Product(overview)]);
        foreach (var (label, path) in Fields)
        {
            var value = JsonCell.Render(overview, path);
            if (value.Length > 0)
            {
                table.Add([label, value]);
            }
        }

        table.Write(context.Out, header: false);
        return ExitCodes.Ok;
    };

    private static string Product(JsonElement overview)
    {
        var name = JsonCell.Render(overview, "product_name");
        var version = JsonCell.Render(overview, "product_version");
        if (version.Length == 0)
        {
            version = JsonCell.Render(overview, "rabbitmq_version");
        }

        return $"{(name.Length > 0 ? name : "RabbitMQ")} {version}".Trim();
    }
}
