using Broker.IntegrationTests.Helpers;

namespace Broker.IntegrationTests.Compatibility;

/// <summary>--compat 4: what RabbitMQ 4.3 does with its default configuration.</summary>
public sealed class Compat4Tests(Compat4Fixture fixture) : CompatibilityTests(fixture, rabbitMq4: true), IClassFixture<Compat4Fixture>
{
    [Compat4Fact]
    public Task A_transient_non_exclusive_queue_closes_the_connection_with_541() => TransientNonExclusiveQueueAsync();

    [Compat4Fact]
    public Task A_server_named_transient_non_exclusive_queue_closes_the_connection_with_541() => ServerNamedTransientQueueAsync();

    [Compat4Fact]
    public Task A_non_durable_quorum_queue_is_a_541() => NonDurableQuorumQueueAsync();

    [Compat4Fact]
    public Task A_global_prefetch_is_a_prefetch_per_consumer() => GlobalQosAsync();

    [Compat4Fact]
    public Task A_quorum_queue_consumer_on_a_channel_with_a_global_prefetch_is_allowed() => GlobalQosOnQuorumQueueAsync();

    [Compat4Fact]
    public Task A_quorum_queue_dead_letters_a_message_returned_more_than_20_times() => QuorumDeliveryLimitAsync();

    [Compat4Fact]
    public Task A_negative_delivery_limit_is_none() => NegativeDeliveryLimitAsync();

    [Compat4Fact]
    public Task A_message_over_16_MiB_closes_the_channel_with_406() => MaxMessageSizeAsync();

    [Compat4Fact]
    public Task A_frame_max_below_8192_closes_the_connection_with_530() => SmallFrameMaxAsync();

    [Compat4Fact]
    public Task A_queue_master_locator_argument_closes_the_connection_with_541() => QueueMasterLocatorAsync();

    [Compat4Fact]
    public Task A_classic_queue_version_1_is_a_406() => ClassicQueueVersion1Async();
}
