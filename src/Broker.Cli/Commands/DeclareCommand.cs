using System.Net;
using System.Text.Json.Nodes;
using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>declare queue NAME [--type classic|quorum|stream] [--durable=false] [--auto-delete] [--arguments JSON]</c>,
/// <c>declare exchange NAME [--type direct|fanout|topic|headers|...] [--durable=false] [--auto-delete]
/// [--internal] [--arguments JSON]</c> and <c>declare binding --source EX --destination NAME ...</c>.
/// Durable unless told otherwise, as rabbitmqadmin declares. Declaring what exists with the same
/// properties changes nothing; with other properties the API refuses it (400, inequivalent arg).
/// </summary>
internal static class DeclareCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        switch (line.NextKeyword())
        {
            case "queue":
                {
                    var name = line.NextName("queue name");
                    var vhost = Change.Vhost(line);
                    var arguments = JsonOption.Object(line, "arguments") ?? [];
                    if (line.Option("type") is { } type)
                    {
                        arguments["x-queue-type"] = type;
                    }

                    var body = new JsonObject
                    {
                        ["durable"] = line.Flag("durable", whenAbsent: true),
                        ["auto_delete"] = line.Flag("auto-delete"),
                        ["arguments"] = arguments,
                    };
                    var path = ApiPath.Of("queues", ApiPath.Segment(vhost), ApiPath.Segment(name));
                    return context => DeclareAsync(context, path, body, Describe.InVhost("queue", name, vhost));
                }

            case "exchange":
                {
                    var name = line.NextName("exchange name");
                    var vhost = Change.Vhost(line);
                    var body = new JsonObject
                    {
                        ["type"] = line.Option("type") ?? "direct",
                        ["durable"] = line.Flag("durable", whenAbsent: true),
                        ["auto_delete"] = line.Flag("auto-delete"),
                        ["internal"] = line.Flag("internal"),
                        ["arguments"] = JsonOption.Object(line, "arguments") ?? [],
                    };
                    var path = ApiPath.Of("exchanges", ApiPath.Segment(vhost), ApiPath.Segment(name));
                    return context => DeclareAsync(context, path, body, Describe.InVhost("exchange", name, vhost));
                }

            case "binding":
                {
                    var binding = BindingSpec.Read(line);
                    var body = new JsonObject
                    {
                        ["routing_key"] = binding.RoutingKey,
                        ["arguments"] = JsonOption.Object(line, "arguments") ?? [],
                    };
                    return context => Change.SendAsync(context, HttpMethod.Post, binding.Path, body.ToJsonString(), $"declared {binding}");
                }

            default:
                throw new UsageException("declare what? queue, exchange or binding");
        }
    }

    private static async Task<int> DeclareAsync(CommandContext context, string path, JsonObject body, string what)
    {
        var response = (await context.Client.SendAsync(HttpMethod.Put, path, body.ToJsonString()).ConfigureAwait(false)).EnsureSuccess();
        // 201 when created, 204 when an equivalent one was there already.
        context.Done(response.Status == HttpStatusCode.Created ? $"declared {what}" : $"{what} exists already");
        return ExitCodes.Ok;
    }
}
