using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>delete queue|exchange|vhost|user|policy|permissions|binding ...</c>: one object, by name (and
/// vhost for what lives in one). A binding has no name: it is found by its source, destination,
/// routing key and arguments, then deleted by the key the API gives it.
/// </summary>
internal static class DeleteCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        switch (line.NextKeyword())
        {
            case "queue":
                {
                    var name = line.NextName("queue name");
                    var vhost = Change.Vhost(line);
                    var query = ApiPath.Query(("if-unused", line.Flag("if-unused") ? "true" : null), ("if-empty", line.Flag("if-empty") ? "true" : null));
                    var path = ApiPath.Of("queues", ApiPath.Segment(vhost), ApiPath.Segment(name)) + query;
                    return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"deleted {Describe.InVhost("queue", name, vhost)}");
                }

            case "exchange":
                {
                    var name = line.NextName("exchange name");
                    var vhost = Change.Vhost(line);
                    var query = ApiPath.Query(("if-unused", line.Flag("if-unused") ? "true" : null));
                    var path = ApiPath.Of("exchanges", ApiPath.Segment(vhost), ApiPath.Segment(name)) + query;
                    return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"deleted {Describe.InVhost("exchange", name, vhost)}");
                }

            case "vhost":
                {
                    var name = line.NextName("vhost name");
                    return context => Change.SendAsync(context, HttpMethod.Delete, ApiPath.Of("vhosts", ApiPath.Segment(name)), null, $"deleted {Describe.Named("vhost", name)}");
                }

            case "user":
                {
                    var name = line.NextName("user name");
                    return context => Change.SendAsync(context, HttpMethod.Delete, ApiPath.Of("users", ApiPath.Segment(name)), null, $"deleted {Describe.Named("user", name)}");
                }

            case "policy":
                {
                    var name = line.NextName("policy name");
                    var vhost = Change.Vhost(line);
                    var path = ApiPath.Of("policies", ApiPath.Segment(vhost), ApiPath.Segment(name));
                    return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"deleted {Describe.InVhost("policy", name, vhost)}");
                }

            case "permissions" or "permission":
                {
                    var user = line.NextName("user name");
                    var vhost = Change.Vhost(line);
                    var path = ApiPath.Of("permissions", ApiPath.Segment(vhost), ApiPath.Segment(user));
                    return context => Change.SendAsync(context, HttpMethod.Delete, path, null, $"deleted the permissions of user '{user}' in vhost '{vhost}'");
                }

            case "binding":
                return PrepareBinding(line);

            default:
                throw new UsageException("delete what? queue, exchange, vhost, user, policy, permissions or binding");
        }
    }

    private static PreparedCommand PrepareBinding(CommandLine line)
    {
        var binding = BindingSpec.Read(line);
        var arguments = JsonOption.Object(line, "arguments");
        return async context =>
        {
            var response = (await context.Client.GetAsync(binding.Path).ConfigureAwait(false)).EnsureSuccess();
            using var document = response.Json();
            var matches = document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Where(b => Matches(b, binding.RoutingKey, arguments)).ToList()
                : [];
            if (matches.Count == 0)
            {
                throw new CommandFailedException($"no {binding} (list bindings shows what there is)");
            }

            if (matches.Count > 1)
            {
                throw new CommandFailedException($"{matches.Count} bindings match {binding} with different arguments: give --arguments");
            }

            var key = matches[0].TryGetProperty("properties_key", out var k) ? k.GetString() : null;
            if (string.IsNullOrEmpty(key))
            {
                throw new ManagementApiException(response, $"GET /{response.Path}: a binding without properties_key");
            }

            var path = ApiPath.Of(binding.Path, ApiPath.Segment(key));
            return await Change.SendAsync(context, HttpMethod.Delete, path, null, $"deleted {binding}").ConfigureAwait(false);
        };
    }

    private static bool Matches(JsonElement binding, string routingKey, JsonObject? arguments)
    {
        if (!binding.TryGetProperty("routing_key", out var key) || key.GetString() != routingKey)
        {
            return false;
        }

        if (arguments is null)
        {
            return true;
        }

        var actual = binding.TryGetProperty("arguments", out var a) ? JsonNode.Parse(a.GetRawText()) : new JsonObject();
        return JsonNode.DeepEquals(actual, arguments);
    }
}
