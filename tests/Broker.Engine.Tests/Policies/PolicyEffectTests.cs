using System.Diagnostics;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Policies;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Stream;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Policies;

/// <summary>
/// What a policy does to the queues and exchanges it matches, at declaration and live: how its settings
/// combine with the queue's arguments and an operator policy's (per queue type, as RabbitMQ 3.10's
/// rabbit_amqqueue_process, rabbit_quorum_queue and rabbit_stream_queue resolve them), and that setting
/// or clearing one takes effect at once.
/// </summary>
public class PolicyEffectTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly Host _host = new();

    private static FieldTable Def(params (string Key, object? Value)[] entries) => Host.Args(entries);

    private void Set(string name, string pattern, FieldTable definition, int priority = 0, string applyTo = "all", bool operatorPolicy = false) =>
        Assert.Null(_host.VHost.SetPolicy(new Policy("/", name, pattern, applyTo, priority, definition), operatorPolicy));

    private static List<string> Ids(IEnumerable<QueueEntry> entries) => [.. entries.Select(e => TestMessages.Id(e.Message))];

    private static bool WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Patience)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    [Fact]
    public void Classic_queue_limits_and_ttls_are_the_smallest_of_argument_policy_and_operator_policy()
    {
        // RabbitMQ 3.10.8: c1 (x-max-length 5, x-message-ttl 60000) under p1 (max-length 3, message-ttl
        // 120000, overflow drop-head) and o1 (max-length 4, message-ttl 30000) shows effective_policy_definition
        // {max-length 3, message-ttl 30000, overflow drop-head} and keeps the last 3 of 10 messages.
        Set("p1", "^[cq]1$", Def(("max-length", 3L), ("overflow", Host.Str("drop-head")), ("message-ttl", 120_000L)), priority: 1, applyTo: "queues");
        Set("o1", "1", Def(("max-length", 4L), ("message-ttl", 30_000L)), applyTo: "queues", operatorPolicy: true);

        var queue = _host.Queue("c1", arguments: Host.Args(("x-max-length", 5), ("x-message-ttl", 60_000)));

        Assert.Equal(["max-length", "message-ttl", "overflow"], queue.EffectivePolicyDefinition.Select(e => e.Key));
        Assert.Equal(3L, queue.EffectivePolicyDefinition["max-length"]);
        Assert.Equal(30_000L, queue.EffectivePolicyDefinition["message-ttl"]);
        Assert.Equal((3, 30_000), (queue.Settings.MaxLength, queue.Settings.MessageTtl));
        TestMessages.Enqueue(_host.Engine, queue, [.. Enumerable.Range(0, 10).Select(i => $"m{i}")]);
        Assert.Equal(["m7", "m8", "m9"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void A_classic_queues_own_dead_letter_exchange_and_overflow_win_over_a_policys()
    {
        Set("p", "^q$", Def(("dead-letter-exchange", Host.Str("from-policy")), ("dead-letter-routing-key", Host.Str("rk")), ("overflow", Host.Str("drop-head")), ("expires", 600_000L)));

        var queue = _host.Queue("q", arguments: Host.Args(("x-dead-letter-exchange", Host.Str("own")), ("x-overflow", Host.Str("reject-publish")), ("x-expires", 900_000)));

        Assert.Equal("own", queue.Settings.DeadLetterExchange);
        Assert.Equal("rk", queue.Settings.DeadLetterRoutingKey);
        Assert.Equal(OverflowBehaviour.RejectPublish, queue.Settings.Overflow);
        Assert.Equal(600_000, queue.Settings.Expires);
    }

    [Fact]
    public void A_quorum_queue_takes_the_policys_overflow_and_expiry_over_its_own()
    {
        // RabbitMQ 3.10.8: q1 (x-overflow reject-publish, x-max-length 5) under a policy with overflow
        // drop-head and max-length 3 keeps m7, m8, m9 of ten publishes.
        Set("p1", "^q1$", Def(("max-length", 3L), ("overflow", Host.Str("drop-head")), ("expires", 900_000L), ("dead-letter-exchange", Host.Str("from-policy"))));

        var queue = _host.Queue("q1", durable: true, arguments: Host.Args(
            ("x-queue-type", "quorum"), ("x-max-length", 5), ("x-overflow", Host.Str("reject-publish")), ("x-expires", 600_000), ("x-dead-letter-exchange", Host.Str("own"))));

        Assert.Equal(OverflowBehaviour.DropHead, queue.Settings.Overflow);
        Assert.Equal(900_000, queue.Settings.Expires);
        Assert.Equal(3, queue.Settings.MaxLength);
        Assert.Equal("own", queue.Settings.DeadLetterExchange);
        TestMessages.Enqueue(_host.Engine, queue, [.. Enumerable.Range(0, 10).Select(i => $"m{i}")]);
        Assert.Equal(["m7", "m8", "m9"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void An_operator_policy_caps_a_quorum_queues_delivery_limit()
    {
        Set("dl", "^q$", Def(("delivery-limit", 10L)));
        Set("cap", "^q$", Def(("delivery-limit", 2L)), operatorPolicy: true);

        var queue = _host.Queue("q", durable: true, arguments: Host.Args(("x-queue-type", "quorum"), ("x-delivery-limit", 5)));

        Assert.Equal(2, queue.Settings.DeliveryLimit);
        Assert.Equal(2L, queue.EffectivePolicyDefinition["delivery-limit"]);
    }

    [Fact]
    public void A_streams_retention_comes_from_its_policy_over_its_arguments()
    {
        Set("retention", "^s$", Def(("max-length-bytes", 5_000L), ("max-age", Host.Str("2h")), ("stream-max-segment-size-bytes", 1_000L)), applyTo: "streams");

        var stream = Assert.IsType<StreamQueue>(_host.Queue("s", durable: true, arguments: Host.Args(
            ("x-queue-type", "stream"), ("x-max-length-bytes", 100_000), ("x-max-age", Host.Str("7D")), ("x-stream-max-segment-size-bytes", 50_000))));

        Assert.Equal(new StreamRetention(5_000, 2 * 3_600_000, 1_000), stream.Retention);
    }

    [Fact]
    public void A_retention_policy_applies_to_a_live_stream_at_once()
    {
        var stream = Assert.IsType<StreamQueue>(_host.Queue("s", durable: true, arguments: Host.Args(("x-queue-type", "stream"), ("x-stream-max-segment-size-bytes", 1_000))));
        for (var i = 0; i < 55; i++)
        {
            var message = _host.Engine.Messages.Rent(""u8, System.Text.Encoding.UTF8.GetBytes($"m{i}"), new BasicProperties().Encode(), 96, persistent: true, priority: 0);
            message.AppendBody(new byte[96]);
            Assert.Equal(EnqueueResult.Enqueued, stream.Enqueue(message, new FlushBatch()));
            message.Release();
        }

        Assert.Equal(55, stream.MessageCount);

        Set("retention", "^s$", Def(("max-length-bytes", 2_500L)));

        // Whole segments go at once, oldest first, until what is left fits.
        Assert.Equal(new StreamRetention(2_500, -1, 1_000), stream.Retention);
        Assert.InRange(stream.MessageCount, 10, 30);
    }

    [Fact]
    public void A_policy_takes_effect_on_live_queues_and_clearing_it_takes_it_back()
    {
        var queue = _host.Queue("q");
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2", "m3", "m4", "m5");

        Set("limit", "^q$", Def(("max-length", 2L)));
        Assert.Equal(2, queue.MessageCount);
        Assert.Equal("limit", queue.Policy!.Name);

        Assert.True(_host.VHost.ClearPolicy("limit", operatorPolicy: false));
        Assert.Null(queue.Policy);
        Assert.Empty(queue.EffectivePolicyDefinition);
        Assert.Equal(-1, queue.Settings.MaxLength);
        TestMessages.Enqueue(_host.Engine, queue, "m6", "m7", "m8");
        Assert.Equal(["m4", "m5", "m6", "m7", "m8"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void A_message_ttl_policy_expires_new_messages_into_its_dead_letter_exchange_until_cleared()
    {
        // RabbitMQ 3.10.8 gives a message its expiry when it is enqueued and expires messages at the head
        // only: "before", queued without a TTL, stays and holds back the two published under the policy;
        // once it is taken they expire into the policy's dead-letter exchange. Cleared, new messages stay.
        _host.Exchange("dlx", ExchangeTypes.Fanout);
        var dead = _host.Queue("dead");
        _host.Bind("dead", "dlx");
        var queue = _host.Queue("work");
        TestMessages.Enqueue(_host.Engine, queue, "before");

        Set("ttl", "^work$", Def(("message-ttl", 50L), ("dead-letter-exchange", Host.Str("dlx"))), applyTo: "queues");
        TestMessages.Enqueue(_host.Engine, queue, "under-policy-1", "under-policy-2");
        Thread.Sleep(200);
        Assert.Equal(0, dead.MessageCount);

        Assert.True(queue.TryGet(noAck: true, out var head, out _));
        Assert.Equal("before", TestMessages.Id(head.Message));
        Assert.True(WaitUntil(() => dead.MessageCount == 2), $"dead-lettered {dead.MessageCount} of 2");
        var deadLettered = TestMessages.TakeAll(dead);
        Assert.Equal(["under-policy-1", "under-policy-2"], Ids(deadLettered));
        var headers = BasicProperties.Read(deadLettered[0].Message.Properties).Headers!;
        Assert.Equal("expired", FieldValues.AsString(headers["x-first-death-reason"]));
        Assert.Equal(0, queue.MessageCount);

        Assert.True(_host.VHost.ClearPolicy("ttl", operatorPolicy: false));
        TestMessages.Enqueue(_host.Engine, queue, "after");
        Thread.Sleep(200);
        Assert.Equal(0, dead.MessageCount);
        Assert.Equal(["after"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void An_expires_policy_deletes_an_idle_queue()
    {
        var queue = _host.Queue("idle");
        Set("expiry", "^idle$", Def(("expires", 50L)));

        Assert.True(WaitUntil(() => queue.IsDeleted), "the queue was not deleted");
        Assert.False(_host.VHost.TryGetQueue("idle", out _));
    }

    [Fact]
    public void An_alternate_exchange_policy_routes_unroutable_messages_unless_the_exchange_has_its_own()
    {
        _host.Exchange("ae", ExchangeTypes.Fanout);
        _host.Queue("unrouted");
        _host.Bind("unrouted", "ae");
        _host.Exchange("own-ae", ExchangeTypes.Fanout);
        _host.Queue("own-unrouted");
        _host.Bind("own-unrouted", "own-ae");
        var plain = _host.Exchange("orders");
        var declared = _host.Exchange("invoices", arguments: Host.Args(("alternate-exchange", Host.Str("own-ae"))));
        Assert.Empty(_host.Route("orders", "nowhere"));

        Set("ae", "^(orders|invoices)$", Def(("alternate-exchange", Host.Str("ae"))), applyTo: "exchanges");
        Assert.Equal(["unrouted"], _host.Route("orders", "nowhere"));
        Assert.Equal(["own-unrouted"], _host.Route("invoices", "nowhere"));
        Assert.Equal("ae", plain.Policy!.Name);
        Assert.Equal("ae", declared.Policy!.Name);

        Assert.True(_host.VHost.ClearPolicy("ae", operatorPolicy: false));
        Assert.Empty(_host.Route("orders", "nowhere"));
        Assert.Equal(["own-unrouted"], _host.Route("invoices", "nowhere"));
        Assert.Null(plain.Policy);
    }

    [Fact]
    public void A_new_queue_gets_the_policies_in_force_and_its_redeclaration_still_compares_arguments_only()
    {
        Set("limit", "^q$", Def(("max-length", 1L)));
        var queue = _host.Queue("q", arguments: Host.Args(("x-max-length", 10)));
        Assert.Equal(1, queue.Settings.MaxLength);

        var again = _host.VHost.DeclareQueue("q", passive: false, durable: false, exclusive: false, autoDelete: false, Host.Args(("x-max-length", 10)), _host.Connection);
        Assert.False(again.IsError, again.Error.Text);
        Assert.Same(queue, again.Value.Queue);
    }

    [Fact]
    public void Mirroring_keys_and_queue_mode_are_accepted_and_change_nothing()
    {
        var queue = _host.Queue("q");
        var before = queue.Settings;

        Set("ha", "^q$", Def(("ha-mode", Host.Str("exactly")), ("ha-params", 2L), ("ha-sync-mode", Host.Str("automatic")), ("queue-mode", Host.Str("lazy"))));

        Assert.Equal("ha", queue.Policy!.Name);
        Assert.Equal(before, queue.Settings);
    }
}
