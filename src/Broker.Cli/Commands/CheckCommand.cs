using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Broker.Cli.Arguments;
using Broker.Cli.Http;
using Broker.Cli.Output;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>check alarms|local-alarms|port-listener PORT|virtual-hosts|aliveness VHOST</c>: RabbitMQ's
/// health-check endpoints, for probes and scripts. Healthy prints "ok" and exits 0; unhealthy (the
/// API's 503 with a reason) prints the reason on one line and exits 1; not reaching the broker and
/// being refused have exit codes of their own (see <see cref="ExitCodes"/>).
/// </summary>
internal static class CheckCommand
{
    public static PreparedCommand Prepare(CommandLine line)
    {
        var (what, path) = line.NextKeyword() switch
        {
            "alarms" => ("alarms", "health/checks/alarms"),
            "local-alarms" => ("local alarms", "health/checks/local-alarms"),
            "virtual-hosts" or "vhosts" => ("virtual hosts", "health/checks/virtual-hosts"),
            "port-listener" => PortListener(line),
            "aliveness" => Aliveness(line),
            _ => throw new UsageException("check what? alarms, local-alarms, port-listener PORT, virtual-hosts or aliveness VHOST"),
        };
        return context => RunAsync(context, what, path);
    }

    private static (string, string) PortListener(CommandLine line)
    {
        var port = line.NextWord("port");
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
        {
            throw new UsageException($"the port must be from 1 to 65535, not '{port}'");
        }

        return ($"listener on port {number}", ApiPath.Of("health", "checks", "port-listener", number.ToString(CultureInfo.InvariantCulture)));
    }

    private static (string, string) Aliveness(CommandLine line)
    {
        var vhost = line.NextName("vhost");
        return ($"aliveness of vhost '{vhost}'", ApiPath.Of("aliveness-test", ApiPath.Segment(vhost)));
    }

    private static async Task<int> RunAsync(CommandContext context, string what, string path)
    {
        var response = await context.Client.GetAsync(path).ConfigureAwait(false);
        if (!response.IsSuccess && response.Status != HttpStatusCode.ServiceUnavailable)
        {
            response.EnsureSuccess();
        }

        using var document = response.Json();
        var body = document.RootElement;
        var healthy = response.IsSuccess && JsonCell.Render(body, "status") == "ok";
        if (context.Format == OutputFormat.Json)
        {
            context.Out.WriteLine(response.Body);
        }
        else if (healthy)
        {
            context.Out.WriteLine($"ok: {what}");
        }

        if (!healthy)
        {
            context.Error.WriteLine($"broker admin: check failed: {what}: {Reason(body)}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    /// <summary>The reason and what it is about: the alarms in effect, the port missing, the vhosts
    /// down.</summary>
    private static string Reason(JsonElement body)
    {
        var reason = new StringBuilder(body.ValueKind == JsonValueKind.Object && body.TryGetProperty("reason", out var r) ? JsonCell.Render(r) : "unhealthy");
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("alarms", out var alarms) && alarms.ValueKind == JsonValueKind.Array)
        {
            reason.Append(": ").AppendJoin(", ", alarms.EnumerateArray().Select(a => $"{JsonCell.Render(a, "resource")} on {JsonCell.Render(a, "node")}"));
        }

        foreach (var (field, label) in (ReadOnlySpan<(string, string)>)[("ports", "listening on"), ("virtual-hosts", "virtual hosts")])
        {
            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field, out var value))
            {
                reason.Append("; ").Append(label).Append(": ").Append(JsonCell.Render(value));
            }
        }

        return ManagementApiException.OneLine(WebUtility.HtmlDecode(reason.ToString()), 1000);
    }
}
