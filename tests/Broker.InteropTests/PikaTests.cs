namespace Broker.InteropTests;

/// <summary>pika 1.2 (python3-pika): clients/python/pika_scenarios.py.</summary>
public sealed class PikaTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Fact]
    public Task Exchanges_of_the_four_types_route_through_bindings() => RunAsync("exchanges");

    [Fact]
    public Task Every_basic_property_and_nested_headers_round_trip() => RunAsync("properties");

    [Fact]
    public Task Basic_get_counts_acks_and_requeues_on_channel_close() => RunAsync("basic_get");

    [Fact]
    public Task Ack_nack_reject_with_requeue_set_the_redelivered_flag() => RunAsync("ack_nack_reject");

    [Fact]
    public Task Publisher_confirms_and_mandatory_unroutable_raise_UnroutableError() => RunAsync("confirms");

    [Fact]
    public Task Basic_qos_prefetch_limits_unacked_deliveries() => RunAsync("prefetch");

    [Fact]
    public Task Channel_error_closes_the_channel_and_the_connection_stays_usable() => RunAsync("channel_error");

    [Fact]
    public Task Tx_select_commit_rollback() => RunAsync("tx");

    [Fact]
    public Task Large_message_of_5_MiB_round_trips() => RunAsync("large_message", TimeSpan.FromSeconds(120));

    [Fact]
    public Task Heartbeats_keep_an_idle_connection_alive() => RunAsync("heartbeat", TimeSpan.FromSeconds(90));

    [Fact]
    public Task Consumers_cancel_and_exclusive_consumers() => RunAsync("consumer_lifecycle");

    [Fact]
    public Task Queue_purge_and_delete_with_conditions() => RunAsync("queue_ops");

    [Fact]
    public Task Quorum_queue_counts_returns_and_dead_letters_past_the_delivery_limit() => RunAsync("quorum_delivery_limit");

    [Fact]
    public Task Stream_is_read_from_first_a_numeric_offset_and_last() => RunAsync("stream_offsets");

    private async Task RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var directory = Path.Combine(ClientRunner.ClientsDirectory, "python");
        await ClientRunner.AssertScenarioPassesAsync(
            output, "pika", scenario, ClientRunner.Python,
            [Path.Combine(directory, "pika_scenarios.py"), fixture.Uri.ToString(), scenario], directory, timeout);

        // A failure the broker logged while the client ran fails the scenario too.
        fixture.ThrowIfBrokerErrors($"{GetType().Name} {scenario}");
    }
}
