using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// The executable's --compat, --server-product and --server-version (and their BROKER_* variables): what a
/// client sees, and that an explicit --max-message-size wins over the profile's default.
/// </summary>
public sealed class CompatibilityOptionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Compat_4_refuses_a_transient_queue_and_reports_the_configured_product_and_version()
    {
        using var context = new ProcessTestContext(output, "compat-4");
        await context.RunAsync(async () =>
        {
            var environment = new Dictionary<string, string> { ["BROKER_SERVER_VERSION"] = "4.1.0" };
            var broker = await context.StartBrokerAsync(null, environment, "--compat", "4", "--server-product", "RabbitMQ", "--max-message-size", "1000");
            context.Check(broker.Log.Contains("compatibility profile 4", StringComparison.Ordinal), "the start does not log the profile");

            await using var connection = await Amqp.ConnectAsync(broker);
            var properties = connection.ServerProperties!;
            Assert.Equal("RabbitMQ", Text(properties["product"]));
            Assert.Equal("4.1.0", Text(properties["version"]));

            // --max-message-size given: it wins over the profile's 16 MiB.
            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeclareAsync("durable", durable: true, exclusive: false, autoDelete: false);
                await channel.BasicPublishAsync("", "durable", new byte[1001]);
                var closed = await ClosedAsync(channel);
                Assert.Equal((406, "PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000"), (closed.ReplyCode, closed.ReplyText));
            }

            await using (var channel = await connection.CreateChannelAsync())
            {
                var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(
                    () => channel.QueueDeclareAsync("transient", durable: false, exclusive: false, autoDelete: false));
                Assert.Equal((ushort)541, refused.ShutdownReason?.ReplyCode);
            }

            await broker.StopGracefullyAsync();
        });
    }

    [Fact]
    public async Task By_default_the_product_is_ours_and_the_version_RabbitMQ_3_13s()
    {
        using var context = new ProcessTestContext(output, "compat-default");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            {
                Assert.Equal("Broker", Text(connection.ServerProperties!["product"]));
                Assert.Equal("3.13.7", Text(connection.ServerProperties!["version"]));
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeclareAsync("transient", durable: false, exclusive: false, autoDelete: false);
            }

            await broker.StopGracefullyAsync();
        });
    }

    [Fact]
    public async Task An_unknown_profile_stops_the_start_with_one_line()
    {
        using var context = new ProcessTestContext(output, "compat-unknown");
        await context.RunAsync(async () =>
        {
            var broker = await context.RunBrokerUntilExitAsync(null, "--compat", "5");
            context.Check(broker.ExitCode == 2, $"exit code {broker.ExitCode}, expected 2");
            context.Check(broker.Log.Contains("--compat: '5' is not 3.13 or 4", StringComparison.Ordinal), "the log does not say why");
        });
    }

    private static async Task<ShutdownEventArgs> ClosedAsync(IChannel channel)
    {
        var deadline = DateTime.UtcNow + Amqp.Patience;
        while (channel.CloseReason is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return channel.CloseReason ?? throw new TimeoutException("the channel was not closed");
    }

    private static string Text(object? value) => value is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : value?.ToString() ?? "";
}
