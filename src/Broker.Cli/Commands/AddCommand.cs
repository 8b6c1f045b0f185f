using System.Net;
using System.Text.Json.Nodes;
using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>add user NAME --password P [--tags T]</c> and <c>add vhost NAME [--description D]
/// [--default-queue-type T]</c>. The API's PUT creates or updates, so adding a user who exists sets
/// their password and tags. After <c>add user</c>, --password is the new user's: give the caller's
/// before the command, in the URL or in BROKER_ADMIN_PASSWORD.
/// </summary>
internal static class AddCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        switch (line.NextKeyword())
        {
            case "user":
                {
                    var name = line.NextName("user name");
                    var password = line.TakeCommandOption("password")
                        ?? throw new UsageException("--password P (the new user's, after the command) is required");

                    // Tags as one comma-separated string: every RabbitMQ version takes that form.
                    var body = new JsonObject { ["password"] = password, ["tags"] = line.Option("tags") ?? "" };
                    var path = ApiPath.Of("users", ApiPath.Segment(name));
                    return context => PutAsync(context, path, body, Describe.Named("user", name));
                }

            case "vhost":
                {
                    var name = line.NextName("vhost name");
                    var body = new JsonObject();
                    if (line.Option("description") is { } description)
                    {
                        body["description"] = description;
                    }

                    if (line.Option("default-queue-type") is { } queueType)
                    {
                        body["default_queue_type"] = queueType;
                    }

                    return context => PutAsync(context, ApiPath.Of("vhosts", ApiPath.Segment(name)), body, Describe.Named("vhost", name));
                }

            default:
                throw new UsageException("add what? user or vhost");
        }
    }

    private static async Task<int> PutAsync(CommandContext context, string path, JsonObject body, string what)
    {
        var response = (await context.Client.SendAsync(HttpMethod.Put, path, body.ToJsonString()).ConfigureAwait(false)).EnsureSuccess();
        context.Done(response.Status == HttpStatusCode.Created ? $"added {what}" : $"updated {what}");
        return ExitCodes.Ok;
    }
}
