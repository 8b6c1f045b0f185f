using System.Net;
using System.Text.RegularExpressions;
using Broker.Engine;
using Broker.Server.Hosting;

namespace Broker.Server.Tests;

/// <summary>
/// The default listener takes IPv6 and IPv4 clients, as RabbitMQ's: Node 17+ and others resolve
/// "localhost" to ::1 first. The test binds [::] (the default it checks) on a free port for a moment
/// and connects only over the loopback addresses.
/// </summary>
public sealed class ListenerTests
{
    [Fact]
    public async Task The_default_listener_is_dual_stack_and_names_IPv4_peers_without_the_mapped_prefix()
    {
        var logs = new RecordingLoggerFactory();
        var server = new BrokerServer(BrokerEngine.InMemory(), new ServerOptions { Port = 0 }, logs);
        await using (server)
        {
            await server.StartAsync();
            Assert.Equal(IPAddress.IPv6Any, server.EndPoint!.Address);

            await using (var overIPv4 = await RawAmqpConnection.ConnectAsync(new Uri($"amqp://guest:guest@127.0.0.1:{server.Port}/")))
            {
                await overIPv4.CloseAsync();
            }

            await using (var overIPv6 = await RawAmqpConnection.ConnectAsync(new Uri($"amqp://guest:guest@[::1]:{server.Port}/")))
            {
                await overIPv6.CloseAsync();
            }

            var lines = await WaitForAsync(logs, 2, "closed AMQP connection ");
            Assert.Contains(lines, line => Regex.IsMatch(line, $@"^closed AMQP connection 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{server.Port} user 'guest' .*\(client_close\)"));
            Assert.Contains(lines, line => Regex.IsMatch(line, $@"^closed AMQP connection \[::1\]:\d+ -> \[::1\]:{server.Port} user 'guest' .*\(client_close\)"));
        }

        Assert.Contains(logs.Entries, e => e.Message == $"listening on amqp://[::]:{server.Port}");
        Assert.Empty(logs.Errors);
    }

    private static async Task<List<string>> WaitForAsync(RecordingLoggerFactory logs, int count, string prefix)
    {
        for (var waited = 0; waited < 100; waited++)
        {
            var lines = logs.Entries.Select(e => e.Message).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (lines.Count >= count)
            {
                return lines;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"fewer than {count} lines starting with '{prefix}'");
    }
}
