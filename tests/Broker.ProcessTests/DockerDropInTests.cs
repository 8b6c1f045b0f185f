using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// The executable run as the image runs it (no options; the environment, a mounted config directory
/// standing in for /etc/rabbitmq, a secret file, the data directory list), as a compose file or
/// Testcontainers written for rabbitmq:3-management would: the readiness line, the configured user,
/// vhost, ports and limits, the health probe before and after the stop, and a malformed file's
/// one-line refusal.
/// </summary>
public sealed class DockerDropInTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_mounted_config_directory_and_the_image_variables_configure_the_broker()
    {
        using var context = new ProcessTestContext(output, "docker-drop-in");
        await context.RunAsync(async () =>
        {
            var (amqpPort, managementPort, prometheusPort) = (FreePort(), FreePort(), FreePort());
            var etc = Path.Combine(context.DataDirectory, "etc-rabbitmq");
            Write(etc, "rabbitmq.conf", $"""
                # as mounted at /etc/rabbitmq/rabbitmq.conf
                listeners.tcp.default = 127.0.0.1:{amqpPort}
                management.tcp.port = {managementPort}
                management.tcp.ip = 127.0.0.1
                prometheus.tcp.port = {prometheusPort}
                heartbeat = 20
                channel_max = 64
                frame_max = 64KB
                log.console.level = warning
                mystery.key = 1
                """);
            var image = ImageDefinition.Read();
            image.CopyConfDefaults(etc);
            Write(etc, "conf.d/20-limits.conf", "channel_max = 32\nmystery.key = 2\n");
            var secret = Write(context.DataDirectory, "secrets/pass", "s3cret\n");

            // The Dockerfile's variables, its paths mapped here. Its data directory list is /data when a
            // volume is mounted there, else /var/lib/rabbitmq: no mount here, so the latter.
            var varLib = Path.Combine(context.DataDirectory, "var-lib-rabbitmq");
            var environment = image.EnvironmentFor(new Dictionary<string, string>
            {
                ["/etc/rabbitmq"] = etc,
                ["/data"] = Path.Combine(context.DataDirectory, "data"),
                ["/var/lib/rabbitmq"] = varLib,
            });
            context.Report($"image environment: {string.Join(", ", environment.Select(pair => $"{pair.Key}={pair.Value}"))}");
            environment["RABBITMQ_DEFAULT_USER"] = "app";
            environment["RABBITMQ_DEFAULT_PASS_FILE"] = secret;
            environment["RABBITMQ_DEFAULT_VHOST"] = "orders";

            var broker = await context.StartAsImageAsync(environment);

            // The readiness line at log level warning, where information lines are not printed.
            var lines = broker.Log.Split('\n');
            context.Check(lines.Count(l => l.Contains("Server startup complete", StringComparison.Ordinal)) == 1, "one readiness line expected");
            context.Check(!lines.Any(l => l.Contains("config files read", StringComparison.Ordinal)), "information lines at log level warning");
            var warnings = lines.Count(l => l.Contains("unknown or unsupported config key 'mystery.key'", StringComparison.Ordinal));
            context.Check(warnings == 1, $"the unknown key should be warned about once, not {warnings} times");
            context.Check(File.Exists(Path.Combine(varLib, "broker.lock")), $"no data in {varLib}");

            await using (var connection = await Amqp.ConnectAsync(new Uri($"amqp://app:s3cret@127.0.0.1:{amqpPort}/orders")))
            {
                context.Check(connection.Heartbeat == TimeSpan.FromSeconds(20), $"heartbeat {connection.Heartbeat}");
                context.Check(connection.ChannelMax == 32, $"channel_max {connection.ChannelMax} (conf.d/20 sets 32)");
                context.Check(connection.FrameMax == 65536, $"frame_max {connection.FrameMax}");
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeclareAsync("drop-in", durable: true, exclusive: false, autoDelete: false);
            }

            context.Check(await Amqp.LoginRefusedAsync(new Uri($"amqp://guest:guest@127.0.0.1:{amqpPort}/")), "guest exists although RABBITMQ_DEFAULT_USER is app");

            using (var http = new HttpClient())
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("app:s3cret")));
                using var whoami = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{managementPort}/api/whoami")));
                context.Check(whoami.RootElement.GetProperty("name").GetString() == "app", "the management API does not know app");
                var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{prometheusPort}/metrics"));
                context.Check(metrics.Contains("rabbitmq_", StringComparison.Ordinal), "no metrics on the Prometheus port");
            }

            // The HEALTHCHECK's command, run in the container's environment.
            context.Check(image.HealthCheck is ["/app/broker", .. _], $"the HEALTHCHECK runs {string.Join(' ', image.HealthCheck)}");
            var probe = image.HealthCheck[1..];
            var healthy = await RunProbeAsync(environment, probe);
            context.Report($"probe while running: exit {healthy.ExitCode}: {healthy.Output.Trim()}");
            context.Check(healthy.ExitCode == 0, $"probe failed while the broker runs: {healthy.Output}");

            await broker.StopGracefullyAsync();
            var stopped = await RunProbeAsync(environment, probe);
            context.Report($"probe after the stop: exit {stopped.ExitCode}: {stopped.Output.Trim()}");
            context.Check(stopped.ExitCode == 1 && stopped.Output.Contains($"AMQP on 127.0.0.1:{amqpPort}", StringComparison.Ordinal), $"probe after the stop: {stopped.ExitCode} {stopped.Output}");
        });
    }

    [Fact]
    public async Task Definitions_json_in_the_config_directory_is_loaded_at_start()
    {
        using var context = new ProcessTestContext(output, "docker-definitions");
        await context.RunAsync(async () =>
        {
            var amqpPort = FreePort();
            var etc = Path.Combine(context.DataDirectory, "etc-rabbitmq");
            Write(etc, "rabbitmq.conf", $"listeners.tcp.default = 127.0.0.1:{amqpPort}\nmanagement.tcp.port = {FreePort()}\nprometheus.tcp.port = {FreePort()}\n");
            Write(etc, "definitions.json", """
                {
                  "users": [ { "name": "svc", "password": "pw", "tags": "" } ],
                  "vhosts": [ { "name": "billing" } ],
                  "permissions": [ { "user": "svc", "vhost": "billing", "configure": ".*", "write": ".*", "read": ".*" } ],
                  "queues": [ { "name": "invoices", "vhost": "billing", "durable": true, "auto_delete": false, "arguments": {} } ]
                }
                """);
            var environment = new Dictionary<string, string>
            {
                ["BROKER_CONFIG_DIR"] = etc,
                ["BROKER_DATA_DIR"] = Path.Combine(context.DataDirectory, "data"),
            };

            await context.StartAsImageAsync(environment);

            await using var connection = await Amqp.ConnectAsync(new Uri($"amqp://svc:pw@127.0.0.1:{amqpPort}/billing"));
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclarePassiveAsync("invoices");

            // As RabbitMQ: definitions loaded at boot replace the default user and vhost.
            context.Check(await Amqp.LoginRefusedAsync(new Uri($"amqp://guest:guest@127.0.0.1:{amqpPort}/")), "guest was created beside the definitions");
        });
    }

    [Theory]
    [InlineData("heartbeat 30", "expected 'key = value', found 'heartbeat 30'")]
    [InlineData("heartbeat = often", "heartbeat: 'often' is not a whole number from 0 to 65535")]
    public async Task A_malformed_config_file_stops_the_start_with_one_line_naming_the_line(string line, string problem)
    {
        using var context = new ProcessTestContext(output, "docker-malformed");
        await context.RunAsync(async () =>
        {
            var etc = Path.Combine(context.DataDirectory, "etc-rabbitmq");
            var file = Write(etc, "conf.d/30-mine.conf", $"# mine\nchannel_max = 10\n{line}\n");
            var environment = new Dictionary<string, string> { ["BROKER_CONFIG_DIR"] = etc, ["BROKER_DATA_DIR"] = Path.Combine(context.DataDirectory, "data") };

            var broker = await context.RunAsImageUntilExitAsync(environment);

            var printed = broker.Log.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("--- test:", StringComparison.Ordinal)).ToList();
            context.Check(broker.ExitCode == 1, $"exit code {broker.ExitCode}, expected 1");
            context.Check(printed.SequenceEqual([$"broker: {file}:3: {problem}"]), $"expected one line naming {file}:3, got:\n{string.Join('\n', printed)}");
        });
    }

    private static string Write(string directory, string relativePath, string text)
    {
        var path = Path.Combine(directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>`broker probe` as the image's HEALTHCHECK runs it: the container's environment, no arguments.</summary>
    private static async Task<(int ExitCode, string Output)> RunProbeAsync(IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var startInfo = new ProcessStartInfo(BrokerProcess.ExecutablePath, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var variable in startInfo.Environment.Keys.Where(BrokerProcess.IsBrokerVariable).ToList())
        {
            startInfo.Environment.Remove(variable);
        }

        foreach (var (variable, value) in environment)
        {
            startInfo.Environment[variable] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start broker probe");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
