using System.Diagnostics;
using System.Text;
using Broker.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.IntegrationTests;

/// <summary>
/// The in-process fixture itself (always embedded, whatever BROKER_TEST_URI says): several brokers in
/// one process are independent, each with its own port, data directory and state, and a disposed one
/// leaves nothing behind.
/// </summary>
public sealed class EmbeddedBrokerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_embedded_brokers_in_one_process_share_nothing()
    {
        var clock = Stopwatch.StartNew();
        var first = await EmbeddedBroker.StartAsync();
        var startup = clock.Elapsed;
        await using var second = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { User = "other", Password = "secret" });
        output.WriteLine($"first embedded broker started in {startup.TotalMilliseconds:F0} ms, the second in {(clock.Elapsed - startup).TotalMilliseconds:F0} ms");

        Assert.NotEqual(first.Port, second.Port);
        Assert.NotEqual(first.DataDirectory, second.DataDirectory);

        await using (var connection = await Connect(first.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("only-in-first", durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", "only-in-first", Encoding.UTF8.GetBytes("hello"));
        }

        // The second broker has its own queues and its own users.
        await using (var connection = await Connect(second.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            var ex = await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync("only-in-first"));
            Assert.Equal((ushort)404, ex.ShutdownReason?.ReplyCode);
        }

        var guestOnSecond = new UriBuilder(second.AmqpUri) { UserName = "guest", Password = "guest" }.Uri;
        var refused = await Assert.ThrowsAsync<BrokerUnreachableException>(() => Connect(guestOnSecond));
        Assert.IsType<AuthenticationFailureException>(refused.InnerException);

        // Disposing the first removes its temporary data directory and leaves the second serving.
        var firstDirectory = first.DataDirectory;
        await first.DisposeAsync();
        Assert.False(Directory.Exists(firstDirectory));
        await using (var connection = await Connect(second.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            var declared = await channel.QueueDeclareAsync("in-second", durable: false, exclusive: true, autoDelete: false);
            Assert.Equal(0u, declared.MessageCount);
        }
    }

    private static Task<IConnection> Connect(Uri uri) =>
        new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false, TopologyRecoveryEnabled = false }.CreateConnectionAsync("embedded-test");
}
