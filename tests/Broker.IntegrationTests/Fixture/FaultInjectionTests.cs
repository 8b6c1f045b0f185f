using Broker.IntegrationTests.Helpers;
using Broker.Testing;
using RabbitMQ.Client;
using static Broker.IntegrationTests.Fixture.FixtureConnections;

namespace Broker.IntegrationTests.Fixture;

/// <summary>Fault injection for resilience tests: connections closed or dropped by the broker, alarms, restarts.</summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private EmbeddedBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await EmbeddedBroker.StartAsync();

    public async Task DisposeAsync()
    {
        Assert.Empty(_broker.TakeErrors());
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Closing_a_connection_by_its_client_name_sends_320_and_a_recovering_client_comes_back()
    {
        await using var connection = await ConnectAsync(_broker.AmqpUri, "order-service", recover: true);
        var shutdown = ShutdownOf(connection);
        var recovered = RecoveryOf(connection);
        await using var bystander = await ConnectAsync(_broker.AmqpUri, "bystander");

        var closed = await _broker.CloseConnectionAsync("order-service", "failover drill");

        Assert.Equal(1, closed);
        var reason = await shutdown.WaitAsync(Wait.Delivery);
        Assert.Equal(320, reason.ReplyCode);
        Assert.Equal("CONNECTION_FORCED - failover drill", reason.ReplyText);
        await recovered.WaitAsync(Wait.Delivery);
        await using var channel = await connection.CreateChannelAsync();
        Assert.True(bystander.IsOpen);
        Assert.Equal(["bystander", "order-service"], (await _broker.GetConnectionsAsync()).Select(c => c.ClientProvidedName).Order());
    }

    [Fact]
    public async Task A_connection_can_be_named_by_the_brokers_name_for_it()
    {
        await using var connection = await ConnectAsync(_broker.AmqpUri, "named");
        await using var channel = await connection.CreateChannelAsync();
        var brokerName = Assert.Single(await _broker.GetConnectionsAsync()).Name;
        Assert.Matches(@"^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$", brokerName);
        var shutdown = ShutdownOf(connection);

        await _broker.CloseConnectionAsync(brokerName);

        Assert.Equal("CONNECTION_FORCED - Closed via management plugin", (await shutdown.WaitAsync(Wait.Delivery)).ReplyText);
    }

    [Fact]
    public async Task An_unknown_connection_name_fails_with_the_names_there_are()
    {
        await using var connection = await ConnectAsync(_broker.AmqpUri, "billing");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => _broker.CloseConnectionAsync("shipping"));

        Assert.Contains("'shipping'", ex.Message);
        Assert.Contains("billing (127.0.0.1:", ex.Message);
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task A_dropped_connection_ends_without_a_close_and_a_recovering_client_comes_back()
    {
        await using var connection = await ConnectAsync(_broker.AmqpUri, "fragile", recover: true);
        var shutdown = ShutdownOf(connection);
        var recovered = RecoveryOf(connection);

        await _broker.DropConnectionAsync("fragile");

        var reason = await shutdown.WaitAsync(Wait.Delivery);
        Assert.Equal(ShutdownInitiator.Library, reason.Initiator);
        await recovered.WaitAsync(Wait.Delivery);
        Assert.True(connection.IsOpen);
    }

    [Theory]
    [InlineData(BrokerAlarm.Memory, "low on memory")]
    [InlineData(BrokerAlarm.Disk, "low on disk space")]
    public async Task A_raised_alarm_blocks_publishers_until_it_is_cleared(BrokerAlarm alarm, string reason)
    {
        await using var connection = await ConnectAsync(_broker.AmqpUri, "publisher");
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionBlockedAsync += (_, args) =>
        {
            blocked.TrySetResult(args.Reason);
            return Task.CompletedTask;
        };
        connection.ConnectionUnblockedAsync += (_, _) =>
        {
            unblocked.TrySetResult();
            return Task.CompletedTask;
        };
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("work", durable: false, exclusive: false, autoDelete: false);
        await channel.PublishAsync("", "work", "before");

        _broker.RaiseAlarm(alarm);

        Assert.Equal(reason, await blocked.Task.WaitAsync(Wait.Delivery));
        await channel.PublishAsync("", "work", "while blocked");
        await using (var observer = await ConnectAsync(_broker.AmqpUri, "observer"))
        await using (var observing = await observer.CreateChannelAsync())
        {
            await Task.Delay(Wait.Quiet);
            Assert.Equal(1u, (await observing.QueueDeclarePassiveAsync("work")).MessageCount);
        }

        _broker.ClearAlarm(alarm);

        await unblocked.Task.WaitAsync(Wait.Delivery);
        await using var reader = await ConnectAsync(_broker.AmqpUri, "reader");
        await using var reading = await reader.CreateChannelAsync();
        var deadline = DateTime.UtcNow + Wait.Delivery;
        while ((await reading.QueueDeclarePassiveAsync("work")).MessageCount < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2u, (await reading.QueueDeclarePassiveAsync("work")).MessageCount);
    }

    [Fact]
    public async Task A_restart_in_place_keeps_durable_state_and_recovering_clients_carry_on()
    {
        var port = _broker.Port;
        await using var connection = await ConnectAsync(_broker.AmqpUri, "survivor", recover: true);
        var shutdown = ShutdownOf(connection);
        var recovered = RecoveryOf(connection);
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            // Confirmed, so on disk before the restart begins; the transient one is not kept, as in RabbitMQ.
            await channel.QueueDeclareAsync("durable-orders", durable: true, exclusive: false, autoDelete: false);
            await channel.PublishAsync("", "durable-orders", "persistent", new BasicProperties { Persistent = true });
            await channel.PublishAsync("", "durable-orders", "transient", new BasicProperties { Persistent = false });
        }

        await _broker.RestartAsync();

        var reason = await shutdown.WaitAsync(Wait.Delivery);
        Assert.Equal(320, reason.ReplyCode);
        await recovered.WaitAsync(Wait.Delivery);
        Assert.Equal(port, _broker.Port);
        await using var after = await connection.CreateChannelAsync();
        var got = await after.GetRequiredAsync("durable-orders", autoAck: true);
        Assert.Equal("persistent", Amqp.Text(got.Body));
        Assert.Equal(0u, got.MessageCount);
    }
}
