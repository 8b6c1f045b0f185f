using Broker.IntegrationTests.Helpers;
using Broker.Testing;
using static Broker.IntegrationTests.Fixture.FixtureConnections;

namespace Broker.IntegrationTests.Fixture;

/// <summary>Per-test virtual hosts: parallel tests on one broker that cannot see each other.</summary>
public sealed class VirtualHostIsolationTests : IAsyncLifetime
{
    private EmbeddedBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await EmbeddedBroker.StartAsync();

    public async Task DisposeAsync()
    {
        Assert.Empty(_broker.TakeErrors());
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Tests_in_parallel_use_the_same_queue_names_without_seeing_each_other()
    {
        const int tests = 8;
        var results = await Task.WhenAll(Enumerable.Range(0, tests).Select(async index =>
        {
            await using var vhost = await _broker.CreateVirtualHostAsync();
            await using var connection = await ConnectAsync(vhost.AmqpUri);
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
            for (var i = 0; i <= index; i++)
            {
                await channel.PublishAsync("", "work", $"{vhost.Name}:{i}");
            }

            var declared = await channel.QueueDeclarePassiveAsync("work");
            var first = await channel.GetRequiredAsync("work", autoAck: true);
            return (Index: index, declared.MessageCount, First: Amqp.Text(first.Body), vhost.Name);
        }));

        foreach (var result in results)
        {
            Assert.Equal((uint)(result.Index + 1), result.MessageCount);
            Assert.Equal(result.Name + ":0", result.First);
        }

        Assert.Equal(tests, results.Select(r => r.Name).Distinct().Count());
        Assert.Equal(["/"], _broker.Engine.VirtualHosts.Select(v => v.Name));
    }

    [Fact]
    public async Task Disposing_the_handle_deletes_the_vhost_and_closes_its_connections()
    {
        var vhost = await _broker.CreateVirtualHostAsync("orders-test");
        Assert.Equal("/orders-test", vhost.AmqpUri.AbsolutePath);
        var connection = await ConnectAsync(vhost.AmqpUri);
        var shutdown = ShutdownOf(connection);
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("q", durable: true, exclusive: false, autoDelete: false);
        }

        await vhost.DisposeAsync();

        var closed = await shutdown.WaitAsync(Wait.Delivery);
        Assert.Equal(320, closed.ReplyCode);
        Assert.False(_broker.Engine.TryGetVirtualHost("orders-test", out _));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_vhost_name_with_a_slash_is_escaped_in_its_uri()
    {
        await using var vhost = await _broker.CreateVirtualHostAsync("team/a");
        await using var connection = await ConnectAsync(vhost.AmqpUri);
        Assert.True(connection.IsOpen);
        await using var channel = await connection.CreateChannelAsync();
        Assert.Equal("team/a", Assert.Single(await _broker.GetConnectionsAsync()).VirtualHost);
    }

    [Fact]
    public async Task Creating_a_vhost_that_exists_fails()
    {
        await using var vhost = await _broker.CreateVirtualHostAsync("taken");
        await Assert.ThrowsAsync<InvalidOperationException>(() => _broker.CreateVirtualHostAsync("taken"));
    }
}
