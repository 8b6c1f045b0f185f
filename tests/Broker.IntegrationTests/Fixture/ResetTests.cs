using Broker.IntegrationTests.Helpers;
using Broker.Testing;
using RabbitMQ.Client;
using static Broker.IntegrationTests.Fixture.FixtureConnections;

namespace Broker.IntegrationTests.Fixture;

/// <summary>ResetAsync: one call back to a fresh broker (an in-process API: always an embedded broker).</summary>
public sealed class ResetTests
{
    [Fact]
    public async Task Reset_closes_connections_with_320_and_leaves_only_the_defaults()
    {
        await using var broker = await EmbeddedBroker.StartAsync();
        var engine = broker.Engine;
        engine.AddVirtualHost("other");
        engine.Users.AddOrUpdate("alice", "secret", []);
        engine.Parameters.SetGlobal("cluster_name", "\"test-cluster\"");

        var connection = await ConnectAsync(broker.AmqpUri);
        var shutdown = ShutdownOf(connection);
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("events", ExchangeType.Topic, durable: true);
        await channel.QueueDeclareAsync("orders", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("orders", "events", "order.*");
        await channel.PublishAsync("events", "order.created", "kept on disk", new BasicProperties { Persistent = true });

        await broker.ResetAsync();

        var closed = await shutdown.WaitAsync(Wait.Delivery);
        Assert.Equal(320, closed.ReplyCode);
        Assert.Equal("CONNECTION_FORCED - " + EmbeddedBroker.ResetCloseReason, closed.ReplyText);
        Assert.Equal(["/"], engine.VirtualHosts.Select(v => v.Name));
        Assert.Equal(["guest"], engine.Users.Users.Select(u => u.Name));
        Assert.Empty(engine.Parameters.ListGlobal());

        await using var fresh = await ConnectAsync(broker.AmqpUri);
        Assert.False(await QueueExistsAsync(fresh, "orders"));
        await using var freshChannel = await fresh.CreateChannelAsync();
        var ex = await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() => freshChannel.ExchangeDeclarePassiveAsync("events"));
        Assert.Equal((ushort)404, ex.ShutdownReason?.ReplyCode);
        Assert.Empty(broker.TakeErrors());
    }

    [Fact]
    public async Task A_queue_declared_again_after_a_reset_is_empty_and_stays_empty_after_a_restart()
    {
        await using var broker = await EmbeddedBroker.StartAsync();
        await using (var connection = await ConnectAsync(broker.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync("orders", durable: true, exclusive: false, autoDelete: false);
            for (var i = 0; i < 100; i++)
            {
                await channel.PublishAsync("", "orders", "old " + i, new BasicProperties { Persistent = true });
            }
        }

        await broker.ResetAsync();
        await using (var connection = await ConnectAsync(broker.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            var declared = await channel.QueueDeclareAsync("orders", durable: true, exclusive: false, autoDelete: false);
            Assert.Equal(0u, declared.MessageCount);
            await channel.PublishAsync("", "orders", "new", new BasicProperties { Persistent = true });
        }

        await broker.RestartAsync();
        await using (var connection = await ConnectAsync(broker.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            var got = await channel.GetRequiredAsync("orders", autoAck: true);
            Assert.Equal("new", Amqp.Text(got.Body));
            Assert.Equal(0u, got.MessageCount);
        }

        Assert.Empty(broker.TakeErrors());
    }

    [Fact]
    public async Task Reset_imports_the_definitions_of_the_options_again()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions
        {
            Definitions = new
            {
                users = new[] { new { name = "guest", password = "guest", tags = "administrator" } },
                vhosts = new[] { new { name = "/" } },
                permissions = new[] { new { user = "guest", vhost = "/", configure = ".*", write = ".*", read = ".*" } },
                queues = new[] { new { name = "from-definitions", vhost = "/", durable = true, auto_delete = false, arguments = new Dictionary<string, object>() } },
            },
        });

        await using (var connection = await ConnectAsync(broker.AmqpUri))
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync("from-definitions");
            await channel.QueueDeclareAsync("made-by-a-test", durable: false, exclusive: false, autoDelete: false);
        }

        await broker.ResetAsync();

        await using var fresh = await ConnectAsync(broker.AmqpUri);
        Assert.True(await QueueExistsAsync(fresh, "from-definitions"));
        Assert.False(await QueueExistsAsync(fresh, "made-by-a-test"));
    }

    [Fact]
    public async Task Reset_clears_an_alarm_raised_by_hand()
    {
        await using var broker = await EmbeddedBroker.StartAsync();
        broker.RaiseAlarm(BrokerAlarm.Memory);
        Assert.True(broker.Engine.Alarms.IsActive);

        await broker.ResetAsync();

        Assert.False(broker.Engine.Alarms.IsActive);
    }
}
