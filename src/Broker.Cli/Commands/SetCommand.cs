using System.Text.Json.Nodes;
using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>set permissions USER --configure RE --write RE --read RE [--vhost V]</c>,
/// <c>set policy NAME --pattern RE --definition JSON [--priority N] [--apply-to X] [--vhost V]</c> and
/// <c>set tracing on|off [--vhost V]</c> (the firehose to amq.rabbitmq.trace).
/// </summary>
internal static class SetCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        switch (line.NextKeyword())
        {
            case "permissions" or "permission":
                {
                    var user = line.NextName("user name");
                    var vhost = Change.Vhost(line);

                    // All three, as rabbitmqctl set_permissions wants them: an omitted one would silently
                    // grant or deny.
                    var body = new JsonObject
                    {
                        ["configure"] = line.RequiredOption("configure", "RE (\"\" for none, \".*\" for all)"),
                        ["write"] = line.RequiredOption("write", "RE (\"\" for none, \".*\" for all)"),
                        ["read"] = line.RequiredOption("read", "RE (\"\" for none, \".*\" for all)"),
                    };
                    var path = ApiPath.Of("permissions", ApiPath.Segment(vhost), ApiPath.Segment(user));
                    return context => Change.SendAsync(context, HttpMethod.Put, path, body.ToJsonString(), $"set the permissions of user '{user}' in vhost '{vhost}'");
                }

            case "policy":
                {
                    var name = line.NextName("policy name");
                    var vhost = Change.Vhost(line);
                    var body = new JsonObject
                    {
                        ["pattern"] = line.RequiredOption("pattern", "RE (the names it applies to)"),
                        ["definition"] = JsonOption.Object(line, "definition") ?? throw new UsageException("--definition JSON is required, like '{\"message-ttl\": 60000}'"),
                        ["priority"] = line.IntOption("priority", int.MinValue, int.MaxValue) ?? 0,
                    };
                    if (line.Option("apply-to") is { } applyTo)
                    {
                        body["apply-to"] = applyTo;
                    }

                    var path = ApiPath.Of("policies", ApiPath.Segment(vhost), ApiPath.Segment(name));
                    return context => Change.SendAsync(context, HttpMethod.Put, path, body.ToJsonString(), $"set {Describe.InVhost("policy", name, vhost)}");
                }

            case "tracing":
                {
                    var on = line.NextKeyword() switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new UsageException("set tracing on|off [--vhost V]"),
                    };
                    var vhost = Change.Vhost(line);
                    var body = new JsonObject { ["tracing"] = on };
                    return context => Change.SendAsync(context, HttpMethod.Put, ApiPath.Of("vhosts", ApiPath.Segment(vhost)), body.ToJsonString(), $"tracing {(on ? "on" : "off")} in vhost '{vhost}'");
                }

            default:
                throw new UsageException("set what? permissions, policy or tracing");
        }
    }
}
