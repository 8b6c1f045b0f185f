namespace Broker.IntegrationTests.Compatibility;

/// <summary>--compat 3.13, the default: what RabbitMQ 3.13 (and the 3.10 reference) does.</summary>
public sealed class Compat313Tests(BrokerFixture fixture) : CompatibilityTests(fixture, rabbitMq4: false), IClassFixture<BrokerFixture>
{
    [Fact]
    public Task A_transient_non_exclusive_queue_is_declared() => TransientNonExclusiveQueueAsync();

    [Fact]
    public Task A_server_named_transient_non_exclusive_queue_is_declared() => ServerNamedTransientQueueAsync();

    [Fact]
    public Task A_non_durable_quorum_queue_is_a_406() => NonDurableQuorumQueueAsync();

    [Fact]
    public Task A_global_prefetch_limits_the_whole_channel() => GlobalQosAsync();

    [Fact]
    public Task A_quorum_queue_consumer_on_a_channel_with_a_global_prefetch_is_a_540() => GlobalQosOnQuorumQueueAsync();

    [Fact]
    public Task A_quorum_queue_has_no_delivery_limit_by_default() => QuorumDeliveryLimitAsync();

    [Fact]
    public Task A_negative_delivery_limit_drops_a_message_at_its_first_return() => NegativeDeliveryLimitAsync();

    [Fact]
    public Task A_message_over_16_MiB_is_accepted() => MaxMessageSizeAsync();

    [Fact]
    public Task A_frame_max_of_4096_is_accepted() => SmallFrameMaxAsync();

    [Fact]
    public Task A_queue_master_locator_argument_is_accepted() => QueueMasterLocatorAsync();

    [Fact]
    public Task A_classic_queue_version_1_is_accepted() => ClassicQueueVersion1Async();
}
