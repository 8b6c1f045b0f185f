using Broker.Engine.Limits;

namespace Broker.Engine.Tests.Security;

public class ResourceLimitsTests
{
    [Fact]
    public void Limits_are_immutable_and_ordered_by_name()
    {
        var limits = ResourceLimits.Of([new("max-queues", 5), new("max-connections", 10)]);

        var changed = limits.With("max-queues", 6).Without("max-connections");

        Assert.Equal(["max-connections", "max-queues"], limits.Values.Keys);
        Assert.Equal(5, limits.Get("max-queues"));
        Assert.Equal("{max-queues: 6}", changed.ToString());
        Assert.Null(changed.Get("max-connections"));
        Assert.Same(changed, changed.Without("max-connections"));
        Assert.Same(ResourceLimits.None, ResourceLimits.Of([]));
        Assert.True(limits.EquivalentTo(ResourceLimits.Of([new("max-connections", 10), new("max-queues", 5)])));
        Assert.False(limits.EquivalentTo(changed));
    }

    [Fact]
    public void Check_names_what_RabbitMQ_would_not_recognise()
    {
        var limits = ResourceLimits.Of([new("max-connections", 1), new("max-foo", 2)]);

        Assert.Equal("Unrecognised terms [max-foo] in user-limits", limits.Check(ResourceLimits.UserNames, "user-limits").Text);
        Assert.Equal("Unrecognised terms [max-foo] in limits", limits.Check(ResourceLimits.VirtualHostNames, "limits").Text);
        Assert.False(ResourceLimits.Of([new("max-channels", 1)]).Check(ResourceLimits.UserNames, "user-limits").IsError);
    }
}
