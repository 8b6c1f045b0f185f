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

    [Fact]
    public async Task A_failure_inside_the_broker_is_recorded_and_fails_the_test_that_checks()
    {
        await using var broker = await TestBroker.StartAsync(uriVariable: "BROKER_TEST_NO_EXTERNAL_URI");
        var embedded = broker.Embedded!;

        // The data directory is broken under a running broker (its queues folder replaced by a file):
        // storing a durable queue's message must fail, loudly.
        var queues = Path.Combine(embedded.DataDirectory, "queues");
        Directory.Delete(queues, recursive: true);
        await File.WriteAllTextAsync(queues, "not a directory");
        await using (var connection = await Connect(broker.Uri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("kept", durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", "kept", mandatory: false, new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes("hello"));
        }

        await WaitUntil(() => embedded.Errors.Count > 0);
        output.WriteLine(string.Join("\n", embedded.Errors));
        var thrown = Assert.Throws<BrokerErrorsException>(() => broker.ThrowIfErrors("this test"));
        Assert.Contains("during this test", thrown.Message, StringComparison.Ordinal);
        Assert.All(thrown.Errors, error => Assert.True(error.Level >= Microsoft.Extensions.Logging.LogLevel.Error));

        // Taken: the next check starts clean.
        broker.ThrowIfErrors("the next test");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the broker logged no error");
            await Task.Delay(20);
        }
    }
}
