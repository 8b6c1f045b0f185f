using Broker.Engine.Errors;
using Broker.Engine.Limits;
using Broker.Engine.Stores;
using Broker.Engine.Tests.Support;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Tests.VirtualHosts;

/// <summary>A vhost's metadata and limits: set, replaced, refused, recorded.</summary>
public class VirtualHostSettingsTests
{
    [Fact]
    public void A_new_vhost_has_no_metadata_and_no_limits()
    {
        var vhost = new Host().VHost;

        Assert.Equal(string.Empty, vhost.Metadata.Description);
        Assert.Empty(vhost.Metadata.Tags);
        Assert.Null(vhost.Metadata.DefaultQueueType);
        Assert.True(vhost.Limits.IsEmpty);
    }

    [Fact]
    public void Metadata_is_replaced_whole_and_recorded()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var vhost));

        Assert.False(vhost.SetMetadata("orders", ["prod", "eu"], "quorum").IsError);
        Assert.False(vhost.SetMetadata("orders v2", [], null).IsError);

        Assert.Equal(("orders v2", 0, null), (vhost.Metadata.Description, vhost.Metadata.Tags.Count, vhost.Metadata.DefaultQueueType));
        var recorded = store.Changes.Cast<VirtualHostMetadataSet>().ToList();
        Assert.Equal(2, recorded.Count);
        Assert.Equal(("/", "orders", "quorum"), (recorded[0].Name, recorded[0].Description, recorded[0].DefaultQueueType));
        Assert.Equal(["prod", "eu"], recorded[0].Tags);
    }

    [Theory]
    [InlineData("classic")]
    [InlineData("quorum")]
    [InlineData("stream")]
    public void A_default_queue_type_must_be_one_of_the_engines(string type) =>
        Assert.False(new Host().VHost.SetMetadata(string.Empty, [], type).IsError);

    [Fact]
    public void An_unknown_default_queue_type_is_refused_and_not_recorded()
    {
        // RabbitMQ 3.10 answers an import with default_queue_type "foo" with 204 and creates no vhost; refusing says why.
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var vhost));

        var error = vhost.SetMetadata("d", [], "foo");

        Assert.Equal(ErrorKind.PreconditionFailed, error.Kind);
        Assert.Contains("'foo'", error.Text, StringComparison.Ordinal);
        Assert.Same(VirtualHostMetadata.None, vhost.Metadata);
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void Limits_are_set_whole_or_one_by_one_and_recorded()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var vhost));

        Assert.False(vhost.SetLimits(ResourceLimits.Of([new(ResourceLimits.MaxConnections, 10), new(ResourceLimits.MaxQueues, 5)])).IsError);
        Assert.False(vhost.SetLimit(ResourceLimits.MaxQueues, -1).IsError);
        Assert.False(vhost.ClearLimit(ResourceLimits.MaxConnections).IsError);

        Assert.Equal("{max-queues: -1}", vhost.Limits.ToString());
        Assert.Equal(
            ["{max-connections: 10, max-queues: 5}", "{max-connections: 10, max-queues: -1}", "{max-queues: -1}"],
            store.Changes.Cast<VirtualHostLimitsSet>().Select(c => c.Limits.ToString()));
    }

    [Fact]
    public void A_limit_RabbitMQ_does_not_know_for_vhosts_is_refused()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        Assert.True(engine.TryGetVirtualHost("/", out var vhost));

        // rabbitmqctl set_vhost_limits '{"max-foo":1}': "Unrecognised terms [{<<"max-foo">>,1}] in limits".
        var error = vhost.SetLimit(ResourceLimits.MaxChannels, 1);

        Assert.Equal(ErrorKind.PreconditionFailed, error.Kind);
        Assert.Contains("max-channels", error.Text, StringComparison.Ordinal);
        Assert.True(vhost.Limits.IsEmpty);
        Assert.Empty(store.Changes);
    }
}
