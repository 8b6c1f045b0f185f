namespace Broker.InteropTests;

/// <summary>amqplib 0.10 on Node.js (npm ci in clients/node): clients/node/amqplib_scenarios.js.</summary>
public sealed class AmqplibTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Fact]
    public Task Connect_server_properties_capabilities_and_channels() => RunAsync("connect");

    [Fact]
    public Task AssertExchange_assertQueue_bindQueue_route() => RunAsync("topology");

    [Fact]
    public Task Publish_and_consume_with_every_property_and_typed_headers() => RunAsync("properties");

    [Fact]
    public Task Confirm_channel_waitForConfirms_and_returns() => RunAsync("confirms");

    [Fact]
    public Task Prefetch_limits_unacked_deliveries() => RunAsync("prefetch");

    [Fact]
    public Task Get_with_and_without_ack() => RunAsync("get");

    [Fact]
    public Task Nack_and_reject_with_and_without_requeue() => RunAsync("nack_requeue");

    [Fact]
    public Task Channel_errors_then_a_new_channel_on_the_same_connection() => RunAsync("channel_error");

    [Fact]
    public Task Exchange_to_exchange_bindings() => RunAsync("exchange_to_exchange");

    [Fact]
    public Task Alternate_exchange_takes_unroutable_messages() => RunAsync("alternate_exchange");

    [Fact]
    public Task Dead_letter_exchange_for_rejected_and_max_length_overflow() => RunAsync("dead_letter");

    [Fact]
    public Task Deleting_a_consumed_queue_cancels_the_consumer() => RunAsync("cancel_notify");

    private async Task RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var directory = Path.Combine(ClientRunner.ClientsDirectory, "node");
        if (!File.Exists(Path.Combine(directory, "node_modules", "amqplib", "package.json")))
        {
            Assert.Fail($"amqplib is not installed in {directory}: run tests/Broker.InteropTests/install-clients.sh (npm ci)");
        }

        await ClientRunner.AssertScenarioPassesAsync(
            output, "amqplib", scenario, ClientRunner.Node,
            [Path.Combine(directory, "amqplib_scenarios.js"), fixture.Uri.ToString(), scenario], directory, timeout);

        // A failure the broker logged while the client ran fails the scenario too.
        fixture.ThrowIfBrokerErrors($"{GetType().Name} {scenario}");
    }
}
