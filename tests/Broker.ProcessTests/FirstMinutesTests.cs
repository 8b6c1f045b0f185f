using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.ProcessTests.Infrastructure;
using Broker.RawClient;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// What a new user meets in the first minutes with the executable: mistakes answered in one line with
/// an exit code, where the broker listens even with quiet logs, and log lines that say why a
/// connection ended.
/// </summary>
public sealed partial class FirstMinutesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LineWait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_bad_option_exits_2_with_one_line_and_the_usage_and_version_exits_0()
    {
        using var context = new ProcessTestContext(output, "options");
        await context.RunAsync(async () =>
        {
            string[][] mistakes = [["--log-level", "42"], ["--port", "-1"], ["--management-port", "http"], ["--nope"], ["--log-format", "xml"]];
            foreach (var mistake in mistakes)
            {
                var run = await context.RunBrokerUntilExitAsync(null, mistake);
                var lines = BrokerLines(run);
                context.Check(run.ExitCode == 2, $"{string.Join(' ', mistake)}: exit code {run.ExitCode}, expected 2");
                context.Check(lines[0].StartsWith($"broker: {mistake[0]}", StringComparison.Ordinal) || lines[0] == $"broker: unknown option {mistake[0]}",
                    $"{string.Join(' ', mistake)}: the first line is '{lines[0]}', expected one naming the option");
                context.Check(run.Log.Contains("Options (each also", StringComparison.Ordinal), $"{string.Join(' ', mistake)}: no usage printed");
            }

            var version = await context.RunBrokerUntilExitAsync(null, "--version");
            context.Check(version.ExitCode == 0, $"--version: exit code {version.ExitCode}, expected 0");
            context.Check(BrokerLines(version) is [var line] && VersionLine().IsMatch(line), $"--version printed:\n{version.Log}");
        });
    }

    [Fact]
    public async Task A_start_up_failure_is_one_line_without_a_stack_trace_and_exit_code_1()
    {
        using var context = new ProcessTestContext(output, "start-failure");
        await context.RunAsync(async () =>
        {
            using var blocker = new TcpListener(IPAddress.Loopback, 0);
            blocker.Start();
            var taken = ((IPEndPoint)blocker.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var inputs = Directory.CreateDirectory(Path.Combine(context.DataDirectory, "inputs")).FullName;
            var notADirectory = Path.Combine(inputs, "file");
            await File.WriteAllTextAsync(notADirectory, "");
            var badDefinitions = Path.Combine(inputs, "bad-definitions.json");
            await File.WriteAllTextAsync(badDefinitions, "{ \"queues\": [ ");

            (string[] Arguments, string[] Expected)[] failures =
            [
                (["--port", taken], ["cannot listen for AMQP on 127.0.0.1:", "in use"]),
                (["--management-port", taken], ["cannot listen for the management API", "in use"]),
                (["--prometheus-port", taken], ["cannot listen for Prometheus metrics", "in use"]),
                (["--data-dir", Path.Combine(notADirectory, "data")], ["cannot create the data directory"]),
                (["--data-dir", Path.Combine(context.DataDirectory, "data"), "--load-definitions", badDefinitions], ["bad-definitions.json"]),
            ];
            foreach (var (arguments, expected) in failures)
            {
                var run = await context.RunBrokerUntilExitAsync(null, arguments);
                var what = string.Join(' ', arguments);
                var fatal = BrokerLines(run).Where(line => line.Contains(" [FTL] ", StringComparison.Ordinal)).ToList();
                context.Report($"{what}: exit {run.ExitCode}: {string.Join(" | ", fatal)}");
                context.Check(run.ExitCode == 1, $"{what}: exit code {run.ExitCode}, expected 1");
                context.Check(fatal is [var line] && line.Contains("broker cannot start: ", StringComparison.Ordinal) && expected.All(part => line.Contains(part, StringComparison.Ordinal)),
                    $"{what}: expected one fatal line 'broker cannot start: ...' saying {string.Join(" and ", expected)}, got {fatal.Count}");
                context.Check(!BrokerLines(run).Any(line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal)),
                    $"{what}: the log has a stack trace or an exception name");
            }
        });
    }

    [Fact]
    public async Task With_error_level_logs_the_broker_still_says_where_it_listens_and_when_it_is_ready_here_on_IPv6()
    {
        using var context = new ProcessTestContext(output, "quiet");
        await context.RunAsync(async () =>
        {
            // StartBrokerAsync itself waits for the listening line: it must be printed at --log-level error.
            var broker = await context.StartBrokerAsync(null, "--log-level", "error", "--bind", "::1");
            await using (var connection = await Amqp.ConnectAsync(new Uri($"amqp://guest:guest@[::1]:{broker.Port}/"), "over-ipv6"))
            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
            }

            await broker.StopGracefullyAsync();
            var lines = BrokerLines(broker);
            context.Check(lines.Any(line => line.Contains($"listening on amqp://[::1]:{broker.Port}", StringComparison.Ordinal)), "no listening line for [::1]");
            context.Check(lines.Any(line => line.Contains("Server startup complete", StringComparison.Ordinal)), "no readiness line");
            var others = lines.Where(line => !line.Contains("listening on", StringComparison.Ordinal) && !line.Contains("Server startup complete", StringComparison.Ordinal)).ToList();
            context.Check(others.Count == 0, $"at --log-level error the broker printed more than the listening and ready lines:\n{string.Join('\n', others)}");
        });
    }

    [Fact]
    public async Task A_connection_close_line_says_why_and_how_long_it_lived_and_shutdown_is_logged()
    {
        using var context = new ProcessTestContext(output, "close-reasons");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();

            // Silent after the handshake with a 1 s heartbeat: dropped after two missed intervals.
            var silent = await RawAmqpConnection.ConnectAsync(broker.Uri, new RawConnectOptions { Heartbeat = 1 });

            await using (var named = await Amqp.ConnectAsync(broker, "first-minutes-app"))
            {
                await named.CloseAsync();
            }

            var abrupt = await RawAmqpConnection.ConnectAsync(broker.Uri, new RawConnectOptions { ConnectionName = "abrupt" });
            await abrupt.DisposeAsync();
            await using var forced = await Amqp.ConnectAsync(broker, "open-at-shutdown");

            var port = broker.Port;
            await WaitForLineAsync(context, broker, $"127.0.0.1:\\d+ -> 127.0.0.1:{port} - first-minutes-app user 'guest' vhost '/' after \\d+(\\.\\d)? s \\(client_close\\): client closed it: 200 Goodbye");
            await WaitForLineAsync(context, broker, $"127.0.0.1:\\d+ -> 127.0.0.1:{port} - abrupt user 'guest' vhost '/' after .* \\((socket_closed|connection_reset)\\)");

            // No connection_name: the connection is named by its addresses, as RabbitMQ names it.
            await WaitForLineAsync(context, broker, $"closed AMQP connection 127.0.0.1:\\d+ -> 127.0.0.1:{port} user 'guest' vhost '/' after \\d+(\\.\\d)? s \\(missed_heartbeats\\): missed heartbeats from client, timeout: 1s");
            await silent.DisposeAsync();

            await broker.StopGracefullyAsync();
            await WaitForLineAsync(context, broker, "open-at-shutdown .* \\(forced\\): 320 CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
            await WaitForLineAsync(context, broker, "SIGTERM received: shutting down");
            await WaitForLineAsync(context, broker, "broker stopping: closing 1 connections");
            await WaitForLineAsync(context, broker, "broker stopped in \\d+ ms");
            context.Check(TimestampWithOffset().IsMatch(BrokerLines(broker)[0]), $"the first line's timestamp has no offset: {BrokerLines(broker)[0]}");
        });
    }

    [Fact]
    public async Task Json_logs_are_one_object_a_line_with_the_structured_properties()
    {
        using var context = new ProcessTestContext(output, "json-logs");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync(null, "--log-format", "json");
            await using (var connection = await Amqp.ConnectAsync(broker, "json-app"))
            {
                await connection.CloseAsync();
            }

            await WaitForLineAsync(context, broker, "client_close");
            await broker.StopGracefullyAsync();

            var events = new List<JsonElement>();
            foreach (var line in BrokerLines(broker))
            {
                try
                {
                    events.Add(JsonDocument.Parse(line).RootElement);
                }
                catch (JsonException ex)
                {
                    throw context.Failure($"a log line is not JSON ({ex.Message}): {line}");
                }
            }

            context.Check(events.All(e => e.TryGetProperty("@t", out var t) && TimestampWithOffset().IsMatch(t.GetString()!)), "a JSON line has no timestamp (@t) with an offset");
            context.Check(!events.Any(e => e.GetProperty("@l").GetString() is "Error" or "Fatal"), "the broker logged an error");
            var closed = events.SingleOrDefault(e => Property(e, "CloseCause") == "client_close");
            context.Check(closed.ValueKind == JsonValueKind.Object, "no close event with CloseCause client_close");
            context.Check(Property(closed, "Connection")?.EndsWith($"127.0.0.1:{broker.Port} - json-app", StringComparison.Ordinal) == true, $"the close event's Connection is '{Property(closed, "Connection")}'");
            context.Check(Property(closed, "User") == "guest" && Property(closed, "VirtualHost") == "/", "the close event lacks User or VirtualHost");
            context.Check(closed.GetProperty("LifetimeSeconds").ValueKind == JsonValueKind.Number, "LifetimeSeconds is not a number");
            context.Check(closed.GetProperty("@m").GetString()!.StartsWith($"closed AMQP connection 127.0.0.1:", StringComparison.Ordinal), "the message (@m) is not the text line");
            context.Check(closed.GetProperty("@mt").GetString()!.Contains("{CloseCause}", StringComparison.Ordinal), "no message template (@mt)");
            context.Check(events.Any(e => Property(e, "Endpoint") == $"amqp://127.0.0.1:{broker.Port}"), "no listening event with its Endpoint");
        });
    }

    private static string? Property(JsonElement logEvent, string name) =>
        logEvent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>What the broker printed (stdout and stderr), without the test harness's own lines.</summary>
    private static List<string> BrokerLines(BrokerProcess broker) =>
        [.. broker.Log.Split('\n').Where(line => line.Length > 0 && !line.StartsWith("--- test:", StringComparison.Ordinal))];

    private static async Task WaitForLineAsync(ProcessTestContext context, BrokerProcess broker, string pattern)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + LineWait;
        while (!BrokerLines(broker).Any(regex.IsMatch))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw context.Failure($"no log line matching /{pattern}/ within {LineWait.TotalSeconds:F0} s");
            }

            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"^broker \d+(\.\d+)+")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d")]
    private static partial Regex TimestampWithOffset();
}
