using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Broker.FixtureTimings;
using Broker.Testing;
using RabbitMQ.Client;

// Times what an integration test suite waits for, the embedded broker beside a RabbitMQ node:
//   dotnet run -c Release --project tests/Broker.FixtureTimings -- \
//     --rabbitmq amqp://guest:guest@127.0.0.1:5673/ --rabbitmq-api http://guest:guest@127.0.0.1:15672/ \
//     --rabbitmq-ctl "rabbitmqctl -n ref@localhost" [--rabbitmq-start CMD --rabbitmq-stop CMD] [--repeat 20] [--output results.md]
// Without --rabbitmq only the embedded broker is timed. Medians and 90th percentiles of --repeat runs.
var options = FixtureOptions.Parse(args);
var report = new List<Line>();

Console.Error.WriteLine("embedded broker ...");
report.AddRange(await EmbeddedTimings.RunAsync(options));
if (options.RabbitUri is not null)
{
    Console.Error.WriteLine("RabbitMQ ...");
    report.AddRange(await RabbitTimings.RunAsync(options));
}

var text = Line.ToMarkdown(report, options);
Console.WriteLine(text);
if (options.Output is { } output)
{
    await File.WriteAllTextAsync(output, text);
}

namespace Broker.FixtureTimings
{
    internal sealed record FixtureOptions(Uri? RabbitUri, Uri? RabbitApi, string? RabbitCtl, string? RabbitStart, string? RabbitStop, int Repeat, string? Output)
    {
        public static FixtureOptions Parse(string[] args)
        {
            Uri? uri = null, api = null;
            string? ctl = null, output = null, start = null, stop = null;
            var repeat = 20;
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--rabbitmq": uri = new Uri(Next()); break;
                    case "--rabbitmq-api": api = new Uri(Next()); break;
                    case "--rabbitmq-ctl": ctl = Next(); break;
                    case "--rabbitmq-start": start = Next(); break;
                    case "--rabbitmq-stop": stop = Next(); break;
                    case "--repeat": repeat = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--output": output = Next(); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            return new FixtureOptions(uri, api, ctl, start, stop, repeat, output);
        }
    }

    /// <summary>One operation's samples on one broker.</summary>
    internal sealed record Line(string Operation, string Broker, List<double> Milliseconds, string Note = "")
    {
        public double Median => Percentile(0.5);

        public double Percentile(double p)
        {
            var sorted = Milliseconds.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        }

        public static string ToMarkdown(List<Line> lines, FixtureOptions options)
        {
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, up to {options.Repeat} runs each (median, 90th percentile, runs).");
            sb.AppendLine();
            sb.AppendLine("| operation | broker | median ms | p90 ms | runs | note |");
            sb.AppendLine("|---|---|---:|---:|---:|---|");
            foreach (var line in lines)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {line.Operation} | {line.Broker} | {line.Median:0.0} | {line.Percentile(0.9):0.0} | {line.Milliseconds.Count} | {line.Note} |");
            }

            return sb.ToString();
        }
    }

    internal static class Timing
    {
        public static async Task<double> TimeAsync(Func<Task> action)
        {
            var started = Stopwatch.GetTimestamp();
            await action();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        /// <summary>The leftovers of a typical integration test: topology, persistent messages, open connections.</summary>
        public static async Task<IConnection[]> LeaveTestLeftoversAsync(Uri uri)
        {
            var factory = new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false };
            var connections = new[] { await factory.CreateConnectionAsync("leftover-1"), await factory.CreateConnectionAsync("leftover-2") };
            await using var channel = await connections[0].CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            await channel.ExchangeDeclareAsync("orders", ExchangeType.Topic, durable: true);
            await channel.ExchangeDeclareAsync("orders.dlx", ExchangeType.Fanout, durable: true);
            for (var q = 0; q < 10; q++)
            {
                await channel.QueueDeclareAsync($"orders-{q}", durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync($"orders-{q}", "orders", $"order.{q}.*");
                for (var m = 0; m < 10; m++)
                {
                    await channel.BasicPublishAsync("orders", $"order.{q}.created", mandatory: false, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes("leftover"));
                }
            }

            return connections;
        }

        public static async Task ConnectAndCloseAsync(Uri uri)
        {
            await using var connection = await new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclareAsync("probe", durable: false, exclusive: true, autoDelete: true);
        }
    }

    internal static class EmbeddedTimings
    {
        public static async Task<List<Line>> RunAsync(FixtureOptions options)
        {
            const string name = "Broker (EmbeddedBroker, in-process)";
            EmbeddedBroker? firstBroker = null;
            var first = await Timing.TimeAsync(async () => firstBroker = await EmbeddedBroker.StartAsync());
            await firstBroker!.DisposeAsync();
            var starts = new List<double>();
            for (var i = 0; i < options.Repeat; i++)
            {
                EmbeddedBroker? started = null;
                starts.Add(await Timing.TimeAsync(async () => started = await EmbeddedBroker.StartAsync()));
                await started!.DisposeAsync();
            }

            await using var broker = await EmbeddedBroker.StartAsync();
            var resets = new List<double>();
            for (var i = 0; i < options.Repeat; i++)
            {
                var leftovers = await Timing.LeaveTestLeftoversAsync(broker.AmqpUri);
                resets.Add(await Timing.TimeAsync(() => broker.ResetAsync()));
                foreach (var connection in leftovers)
                {
                    connection.Dispose();
                }
            }

            var vhosts = new List<double>();
            var vhostsWithConnection = new List<double>();
            for (var i = 0; i < options.Repeat; i++)
            {
                vhosts.Add(await Timing.TimeAsync(async () => await (await broker.CreateVirtualHostAsync()).DisposeAsync()));
                vhostsWithConnection.Add(await Timing.TimeAsync(async () =>
                {
                    await using var vhost = await broker.CreateVirtualHostAsync();
                    await Timing.ConnectAndCloseAsync(vhost.AmqpUri);
                }));
            }

            return
            [
                new("start, first in the process (JIT included)", name, [first], "to accepting connections"),
                new("start", name, starts, "to accepting connections"),
                new("reset: back to a fresh broker", name, resets, "ResetAsync after 10 durable queues, 100 persistent messages, 2 exchanges, 10 bindings, 2 open connections"),
                new("vhost per test: create + delete", name, vhosts, "CreateVirtualHostAsync + dispose"),
                new("vhost per test: create, connect, declare, delete", name, vhostsWithConnection, "RabbitMQ.Client connection + channel + queue.declare included"),
            ];
        }
    }

    internal static class RabbitTimings
    {
        public static async Task<List<Line>> RunAsync(FixtureOptions options)
        {
            const string name = "RabbitMQ 3.10 (Debian)";
            var lines = new List<Line>();
            var uri = options.RabbitUri!;
            if (options.RabbitCtl is { } ctl)
            {
                var resets = new List<double>();
                for (var i = 0; i < Math.Min(options.Repeat, 5); i++)
                {
                    var leftovers = await Timing.LeaveTestLeftoversAsync(uri);
                    resets.Add(await Timing.TimeAsync(async () =>
                    {
                        await RunAsync($"{ctl} stop_app && {ctl} reset && {ctl} start_app");
                        await Timing.ConnectAndCloseAsync(uri);
                    }));
                    foreach (var connection in leftovers)
                    {
                        connection.Dispose();
                    }
                }

                lines.Add(new("reset: back to a fresh broker", name, resets, "rabbitmqctl stop_app, reset, start_app, until a client connects"));
            }

            if (options.RabbitApi is { } api)
            {
                using var http = Api(api);
                var cleanups = new List<double>();
                for (var i = 0; i < options.Repeat; i++)
                {
                    var leftovers = await Timing.LeaveTestLeftoversAsync(uri);
                    cleanups.Add(await Timing.TimeAsync(async () =>
                    {
                        foreach (var connection in leftovers)
                        {
                            await connection.CloseAsync();
                        }

                        for (var q = 0; q < 10; q++)
                        {
                            (await http.DeleteAsync($"api/queues/%2F/orders-{q}")).EnsureSuccessStatusCode();
                        }

                        (await http.DeleteAsync("api/exchanges/%2F/orders")).EnsureSuccessStatusCode();
                        (await http.DeleteAsync("api/exchanges/%2F/orders.dlx")).EnsureSuccessStatusCode();
                    }));
                    foreach (var connection in leftovers)
                    {
                        connection.Dispose();
                    }
                }

                lines.Add(new("cleanup of the same leftovers through the HTTP API", name, cleanups, "what suites do instead of a reset: close connections, delete 10 queues and 2 exchanges"));

                var vhosts = new List<double>();
                var vhostsWithConnection = new List<double>();
                for (var i = 0; i < options.Repeat; i++)
                {
                    vhosts.Add(await Timing.TimeAsync(async () =>
                    {
                        var vhost = "test-" + Guid.NewGuid().ToString("N")[..12];
                        await CreateVirtualHostAsync(http, vhost);
                        (await http.DeleteAsync($"api/vhosts/{vhost}")).EnsureSuccessStatusCode();
                    }));
                    vhostsWithConnection.Add(await Timing.TimeAsync(async () =>
                    {
                        var vhost = "test-" + Guid.NewGuid().ToString("N")[..12];
                        await CreateVirtualHostAsync(http, vhost);
                        await Timing.ConnectAndCloseAsync(new UriBuilder(uri) { Path = "/" + vhost }.Uri);
                        (await http.DeleteAsync($"api/vhosts/{vhost}")).EnsureSuccessStatusCode();
                    }));
                }

                lines.Add(new("vhost per test: create + delete", name, vhosts, "HTTP API: PUT vhost, PUT permissions, DELETE vhost"));
                lines.Add(new("vhost per test: create, connect, declare, delete", name, vhostsWithConnection, "the same with a RabbitMQ.Client connection, channel and queue.declare"));
            }

            if (options.RabbitStart is { } startCommand && options.RabbitStop is { } stopCommand)
            {
                // Last, as it stops the node: a process start, as a suite that starts its own broker pays it.
                var starts = new List<double>();
                for (var i = 0; i < Math.Min(options.Repeat, 3); i++)
                {
                    await RunAsync(stopCommand);
                    starts.Add(await Timing.TimeAsync(async () =>
                    {
                        await RunAsync(startCommand);
                        while (true)
                        {
                            try
                            {
                                await Timing.ConnectAndCloseAsync(uri);
                                return;
                            }
                            catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException)
                            {
                                await Task.Delay(20);
                            }
                        }
                    }));
                }

                lines.Insert(0, new("start", name, starts, "rabbitmq-server process start until a client connects"));
            }

            return lines;
        }

        private static HttpClient Api(Uri api)
        {
            var http = new HttpClient { BaseAddress = new Uri(api.GetLeftPart(UriPartial.Authority) + "/") };
            var credentials = Uri.UnescapeDataString(api.UserInfo);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            return http;
        }

        private static async Task CreateVirtualHostAsync(HttpClient http, string vhost)
        {
            (await http.PutAsync($"api/vhosts/{vhost}", new StringContent("{}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
            (await http.PutAsync($"api/permissions/{vhost}/guest", new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }

        private static async Task RunAsync(string command)
        {
            using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{command}: exit {process.ExitCode}: {error}");
            }
        }
    }
}
