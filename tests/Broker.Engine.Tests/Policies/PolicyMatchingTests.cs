using Broker.DataModel.Encoding;
using Broker.Engine.Policies;
using Broker.Engine.Stores;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Policies;

/// <summary>
/// Which policy a queue or exchange gets, as rabbit_policy:match decides: the pattern matches anywhere
/// in the name unless anchored, apply-to selects queues, exchanges or both (or, as in RabbitMQ 3.12, one
/// queue type), a queue type skips policies holding keys it does not support, and the highest
/// priority wins. Checked against RabbitMQ 3.10.8 where noted.
/// </summary>
public class PolicyMatchingTests
{
    private readonly Host _host = new();

    private static FieldTable Def(params (string Key, object? Value)[] entries) => Host.Args(entries);

    private Policy Set(string name, string pattern, FieldTable definition, int priority = 0, string applyTo = "all", bool operatorPolicy = false)
    {
        var policy = new Policy("/", name, pattern, applyTo, priority, definition);
        Assert.Null(_host.VHost.SetPolicy(policy, operatorPolicy));
        return policy;
    }

    private static FieldTable Quorum(params (string Key, object? Value)[] more) => Host.Args([("x-queue-type", "quorum"), .. more]);

    [Fact]
    public void A_pattern_matches_anywhere_in_the_name_unless_anchored()
    {
        var anywhere = Set("anywhere", "ord", Def(("max-length", 1L)));
        var anchored = Set("anchored", "^ord", Def(("max-length", 2L)), priority: 1);

        Assert.Same(anchored, _host.Queue("orders").Policy);
        Assert.Same(anywhere, _host.Queue("new-orders").Policy);
        Assert.Null(_host.Queue("invoices").Policy);
    }

    [Fact]
    public void The_highest_priority_wins_and_equal_priorities_go_by_name()
    {
        Set("low", ".*", Def(("max-length", 1L)), priority: 1);
        var high = Set("high", "^q", Def(("max-length", 2L)), priority: 5);
        Assert.Same(high, _host.Queue("q1").Policy);

        var b = Set("b", "^t", Def(("max-length", 3L)), priority: 9);
        var a = Set("a", "^t", Def(("max-length", 4L)), priority: 9);
        Assert.Same(a, _host.Queue("t1").Policy);
        Assert.NotSame(b, _host.Queue("t2").Policy);
    }

    [Fact]
    public void Apply_to_selects_queues_exchanges_or_both()
    {
        var queues = Set("queues", "^q-", Def(("max-length", 1L)), applyTo: "queues");
        var exchanges = Set("exchanges", "^x-", Def(("alternate-exchange", Host.Str("ae"))), applyTo: "exchanges");
        var all = Set("all", "^a-", Def(("max-length", 1L)));

        Assert.Same(queues, _host.Queue("q-1").Policy);
        Assert.Null(_host.Exchange("q-1").Policy);
        Assert.Same(exchanges, _host.Exchange("x-1").Policy);
        Assert.Null(_host.Queue("x-1").Policy);
        Assert.Same(all, _host.Queue("a-1").Policy);
        Assert.Same(all, _host.Exchange("a-1").Policy);
    }

    [Fact]
    public void Apply_to_a_queue_type_selects_only_queues_of_that_type()
    {
        var classic = Set("classic", "^c", Def(("max-length", 1L)), applyTo: "classic_queues");
        var quorum = Set("quorum", "^c", Def(("max-length", 2L)), applyTo: "quorum_queues", priority: -1);
        var streams = Set("streams", "^c", Def(("max-length-bytes", 3L)), applyTo: "streams", priority: -2);

        Assert.Same(classic, _host.Queue("c-classic").Policy);
        Assert.Same(quorum, _host.Queue("c-quorum", durable: true, arguments: Quorum()).Policy);
        Assert.Same(streams, _host.Queue("c-stream", durable: true, arguments: Host.Args(("x-queue-type", "stream"))).Policy);
        Assert.Null(_host.Exchange("c-exchange").Policy);
    }

    [Fact]
    public void A_queue_type_skips_policies_holding_keys_it_does_not_support()
    {
        // RabbitMQ 3.10.8: with "hi" (ha-mode, 5), "dl" (delivery-limit, 3) and "lo" (1), a quorum queue
        // gets dl and a classic queue hi; without hi the classic queue gets lo, never dl.
        var hi = Set("hi", "^ap-", Def(("ha-mode", Host.Str("all")), ("max-length", 10L)), priority: 5);
        var dl = Set("dl", "^ap-", Def(("delivery-limit", 3L)), priority: 3);
        var lo = Set("lo", "^ap-", Def(("max-length", 20L)), priority: 1);

        var quorum = _host.Queue("ap-q", durable: true, arguments: Quorum());
        var classic = _host.Queue("ap-c");
        Assert.Same(dl, quorum.Policy);
        Assert.Same(hi, classic.Policy);

        Assert.True(_host.VHost.ClearPolicy("hi", operatorPolicy: false));
        Assert.Same(dl, quorum.Policy);
        Assert.Same(lo, classic.Policy);

        // Streams skip queue-only settings; classic queues skip stream retention.
        var stream = _host.Queue("ap-s", durable: true, arguments: Host.Args(("x-queue-type", "stream")));
        Assert.Null(stream.Policy);
        var age = Set("age", "^ap-", Def(("max-age", Host.Str("1D"))), priority: 100);
        Assert.Same(age, stream.Policy);
        Assert.Same(lo, classic.Policy);
    }

    [Fact]
    public void Operator_policies_match_queues_apart_from_policies()
    {
        var policy = Set("p", "^q", Def(("max-length", 10L)), applyTo: "queues");
        var capped = Set("cap", "^q", Def(("max-length", 5L)), applyTo: "all", operatorPolicy: true);

        var queue = _host.Queue("q");
        Assert.Same(policy, queue.Policy);
        Assert.Same(capped, queue.OperatorPolicy);
        Assert.Null(_host.Exchange("q-exchange").Policy);

        Assert.True(_host.VHost.ClearPolicy("p", operatorPolicy: false));
        Assert.Null(queue.Policy);
        Assert.Same(capped, queue.OperatorPolicy);
        Assert.Equal(5, queue.Settings.MaxLength);
    }

    [Fact]
    public void Policies_are_listed_lowest_priority_first_and_found_by_name()
    {
        Set("b", "x", Def(("max-length", 1L)), priority: 2);
        Set("a", "x", Def(("max-length", 1L)), priority: 7);
        Set("c", "x", Def(("max-length", 1L)), priority: 2);
        Set("o", "x", Def(("max-length", 1L)), operatorPolicy: true);

        Assert.Equal(["b", "c", "a"], _host.VHost.GetPolicies(operatorPolicy: false).Select(p => p.Name));
        Assert.Equal(["o"], _host.VHost.GetPolicies(operatorPolicy: true).Select(p => p.Name));
        Assert.Equal(7, _host.VHost.GetPolicy("a", operatorPolicy: false)!.Priority);
        Assert.Null(_host.VHost.GetPolicy("o", operatorPolicy: false));
    }

    [Fact]
    public void Setting_a_policy_again_replaces_it_and_clearing_an_unknown_one_says_so()
    {
        Set("p", "^q", Def(("max-length", 1L)));
        var queue = _host.Queue("q");
        var replaced = Set("p", "^q", Def(("max-length", 2L)));

        Assert.Same(replaced, queue.Policy);
        Assert.Equal(2, queue.Settings.MaxLength);
        Assert.Single(_host.VHost.GetPolicies(operatorPolicy: false));
        Assert.False(_host.VHost.ClearPolicy("nope", operatorPolicy: false));
        Assert.False(_host.VHost.ClearPolicy("p", operatorPolicy: true));
    }

    [Fact]
    public void An_invalid_policy_changes_nothing()
    {
        var queue = _host.Queue("q");
        var error = _host.VHost.SetPolicy(new Policy("/", "bad", "(", "all", 0, Def(("max-length", 1L))), operatorPolicy: false);

        Assert.Equal("Validation failed\n\npattern should be regular expression but is invalid: {\"missing )\",1}\n", error);
        Assert.Empty(_host.VHost.GetPolicies(operatorPolicy: false));
        Assert.Null(queue.Policy);
        Assert.StartsWith("Validation failed", _host.VHost.SetPolicy(new Policy("/", "bad", "x", "all", 0, Def(("alternate-exchange", Host.Str("ae")))), operatorPolicy: true));
    }

    [Fact]
    public void Changes_are_recorded_once_and_setting_the_same_policy_again_records_nothing()
    {
        var store = new RecordingDefinitionStore();
        _host.Engine.Definitions = store;

        Set("p", "^q", Def(("max-length", 1L)), priority: 3, applyTo: "queues");
        Set("p", "^q", Def(("max-length", 1L)), priority: 3, applyTo: "queues");
        Set("o", "^q", Def(("expires", 1000L)), operatorPolicy: true);
        Assert.True(_host.VHost.ClearPolicy("p", operatorPolicy: false));
        Assert.True(_host.VHost.ClearPolicy("o", operatorPolicy: true));

        Assert.Collection(
            store.Changes,
            c =>
            {
                var set = Assert.IsType<PolicySet>(c);
                Assert.Equal(("/", "p", "^q", "queues", 3), (set.VirtualHost, set.Name, set.Pattern, set.ApplyTo, set.Priority));
                Assert.Equal(1L, set.Definition["max-length"]);
            },
            c => Assert.Equal(("/", "o"), (Assert.IsType<OperatorPolicySet>(c).VirtualHost, ((OperatorPolicySet)c).Name)),
            c => Assert.Equal(new PolicyCleared("/", "p"), c),
            c => Assert.Equal(new OperatorPolicyCleared("/", "o"), c));
    }

    [Fact]
    public void The_default_exchange_gets_a_policy_but_never_an_alternate_exchange_from_it()
    {
        // rabbit_exchange:route sends the default exchange's messages by queue name alone.
        var policy = Set("ae", ".*", Def(("alternate-exchange", Host.Str("amq.fanout"))), applyTo: "exchanges");

        Assert.Same(policy, _host.VHost.DefaultExchange.Policy);
        Assert.Null(_host.VHost.DefaultExchange.AlternateExchange);
        Assert.True(_host.VHost.TryGetExchange("amq.direct", out var direct));
        Assert.Same(policy, direct.Policy);
        Assert.Equal("amq.fanout", direct.AlternateExchange);
    }
}
