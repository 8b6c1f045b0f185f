using Broker.DataModel.Encoding;
using Broker.Engine.Policies;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Policies;

/// <summary>
/// Policies under --compat 4, as RabbitMQ 4.3's validators take them (its source at v4.3.0, not a
/// running node): no ha-* keys since mirroring was removed, queue-master-locator refused while its
/// deprecated feature is denied, any integer a delivery limit. The 3.13 texts are PolicyValidationTests'.
/// </summary>
public class PolicyValidationCompat4Tests
{
    private static string Failed(string line) => $"Validation failed\n\n{line}\n";

    private static string? Set(FieldTable definition, bool operatorPolicy = false)
    {
        var engine = BrokerEngine.InMemory(new EngineOptions { Compat = CompatibilityProfile.RabbitMq4 });
        Assert.True(engine.TryGetVirtualHost("/", out var host));
        return host.SetPolicy(new Policy("/", "p", "^x", "queues", 0, definition), operatorPolicy);
    }

    [Fact]
    public void Mirroring_keys_are_not_recognised()
    {
        Assert.Equal(
            Failed("[{<<\"ha-mode\">>,<<\"all\">>},{<<\"ha-sync-mode\">>,<<\"automatic\">>}] are not recognised policy settings"),
            Set(Host.Args(("ha-mode", Host.Str("all")), ("ha-sync-mode", Host.Str("automatic")), ("max-length", 1L))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_queue_master_locator_is_refused(bool operatorPolicy)
    {
        Assert.Equal(
            Failed("use of deprecated queue-master-locator argument is not permitted"),
            Set(Host.Args(("queue-master-locator", Host.Str("min-masters"))), operatorPolicy));
    }

    [Fact]
    public void A_negative_delivery_limit_is_valid_and_a_non_integer_is_not()
    {
        Assert.Null(Set(Host.Args(("delivery-limit", -1L))));
        Assert.Null(Set(Host.Args(("delivery-limit", -1L)), operatorPolicy: true));
        Assert.Equal(Failed("<<\"x\">> is not a valid delivery limit"), Set(Host.Args(("delivery-limit", Host.Str("x")))));
    }

    [Fact]
    public void Under_3_13_the_same_definitions_are_accepted_or_refused_as_RabbitMQ_3_10_does()
    {
        Assert.True(BrokerEngine.InMemory().TryGetVirtualHost("/", out var host));
        Assert.Null(host.SetPolicy(new Policy("/", "ha", "^x", "queues", 0, Host.Args(("ha-mode", Host.Str("all")))), operatorPolicy: false));
        Assert.Null(host.SetPolicy(new Policy("/", "qml", "^x", "queues", 0, Host.Args(("queue-master-locator", Host.Str("min-masters")))), operatorPolicy: false));
        Assert.Equal(Failed("-1 is not a valid delivery limit"), host.SetPolicy(new Policy("/", "dl", "^x", "queues", 0, Host.Args(("delivery-limit", -1L))), operatorPolicy: false));
    }
}
