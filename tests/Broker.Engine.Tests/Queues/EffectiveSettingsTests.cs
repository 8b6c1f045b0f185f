using System.Diagnostics;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Queues;

/// <summary>
/// A live queue's effective settings replaced by <see cref="MessageQueue.ApplySettings"/> (what a policy
/// change will do): limits act at once, timers are re-armed, new TTLs apply to new messages only, and
/// priority levels and single-active-consumer stay as declared.
/// </summary>
public class EffectiveSettingsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly Host _host = new();

    private static QueueSettings From(MessageQueue queue) => QueueSettings.FromArguments(queue.Arguments);

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
    public void Settings_start_from_the_declared_arguments()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-max-length", 3), ("x-message-ttl", 1000), ("x-dead-letter-exchange", Host.Str("dlx"))));

        Assert.Equal(3, queue.Settings.MaxLength);
        Assert.Equal(1000, queue.Settings.MessageTtl);
        Assert.Equal("dlx", queue.Settings.DeadLetterExchange);
        Assert.Equal(-1, queue.Settings.Expires);
    }

    [Fact]
    public void Lowering_max_length_drops_from_the_head_at_once()
    {
        var queue = _host.Queue("q");
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2", "m3", "m4", "m5");

        queue.ApplySettings(From(queue) with { MaxLength = 2 });

        Assert.Equal(2, queue.Settings.MaxLength);
        Assert.Equal(2, queue.MessageCount);
        Assert.Equal(["m4", "m5"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void A_lowered_max_length_also_limits_later_publishes()
    {
        var queue = _host.Queue("q");
        queue.ApplySettings(From(queue) with { MaxLength = 1 });

        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2");

        Assert.Equal(["m2"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void What_a_lowered_max_length_drops_is_dead_lettered_as_maxlen_when_a_dead_letter_exchange_is_set()
    {
        _host.Exchange("dlx", ExchangeTypes.Fanout);
        var dead = _host.Queue("dead");
        _host.Bind("dead", "dlx");
        var queue = _host.Queue("q");
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2", "m3", "m4");

        // The dead-letter exchange comes with the new settings, not from the declaration.
        queue.ApplySettings(From(queue) with { MaxLength = 1, DeadLetterExchange = "dlx" });

        Assert.Equal(["m4"], Ids(TestMessages.TakeAll(queue)));
        var dropped = TestMessages.TakeAll(dead);
        Assert.Equal(["m1", "m2", "m3"], Ids(dropped));
        foreach (var entry in dropped)
        {
            var headers = BasicProperties.Read(entry.Message.Properties).Headers!;
            Assert.Equal("maxlen", FieldValues.AsString(headers["x-first-death-reason"]));
            var death = Assert.IsType<FieldTable>(Assert.Single(Assert.IsType<List<object?>>(headers["x-death"])));
            Assert.Equal("maxlen", FieldValues.AsString(death["reason"]));
            Assert.Equal("q", FieldValues.AsString(death["queue"]));
        }
    }

    [Fact]
    public void Without_a_dead_letter_exchange_what_a_lowered_max_length_drops_is_gone()
    {
        _host.Exchange("dlx", ExchangeTypes.Fanout);
        var dead = _host.Queue("dead");
        _host.Bind("dead", "dlx");
        var queue = _host.Queue("q", arguments: Host.Args(("x-dead-letter-exchange", Host.Str("dlx"))));
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2");

        // The new settings take the declared dead-letter exchange away.
        queue.ApplySettings(From(queue) with { MaxLength = 0, DeadLetterExchange = null });

        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, dead.MessageCount);
    }

    [Fact]
    public void A_reject_publish_queue_keeps_what_it_holds_when_its_limit_is_lowered()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-overflow", Host.Str("reject-publish"))));
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2", "m3");

        queue.ApplySettings(From(queue) with { MaxLength = 1 });

        Assert.Equal(3, queue.MessageCount);
        Assert.Equal(EnqueueResult.Rejected, queue.Enqueue(TestMessages.New(_host.Engine, "m4"), new FlushBatch()));
    }

    [Fact]
    public void Setting_expires_deletes_the_queue_once_it_has_been_idle_that_long()
    {
        var queue = _host.Queue("q");
        Assert.Equal(-1, queue.Settings.Expires);

        queue.ApplySettings(From(queue) with { Expires = 50 });

        Assert.True(WaitUntil(() => queue.IsDeleted), "the queue was not deleted");
        Assert.False(_host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void Removing_expires_keeps_the_queue()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-expires", 100)));

        queue.ApplySettings(From(queue) with { Expires = -1 });

        // Past the declared expiry by a wide margin: the timer armed at declaration must not delete it.
        Thread.Sleep(300);
        Assert.False(queue.IsDeleted);
        Assert.True(_host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void A_new_message_ttl_applies_to_messages_enqueued_afterwards_only()
    {
        var queue = _host.Queue("q");
        TestMessages.Enqueue(_host.Engine, queue, "before");

        queue.ApplySettings(From(queue) with { MessageTtl = 60_000 });
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        TestMessages.Enqueue(_host.Engine, queue, "after");

        var entries = TestMessages.TakeAll(queue);
        Assert.Equal(["before", "after"], Ids(entries));
        Assert.Equal(QueueEntry.NoExpiry, entries[0].ExpiresAt);
        Assert.InRange(entries[1].ExpiresAt, now + 59_000, now + 61_000);
    }

    [Fact]
    public void A_message_ttl_of_zero_set_later_expires_new_messages_but_not_earlier_ones()
    {
        var queue = _host.Queue("q");
        TestMessages.Enqueue(_host.Engine, queue, "before");

        queue.ApplySettings(From(queue) with { MessageTtl = 0 });
        TestMessages.Enqueue(_host.Engine, queue, "after");

        // TTL 0 is "now or never": with no consumer, the new message is gone by the time it reaches the head.
        Assert.Equal(["before"], Ids(TestMessages.TakeAll(queue)));
    }

    [Fact]
    public void Removing_the_message_ttl_does_not_change_expiries_already_given()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-message-ttl", 60_000)));
        TestMessages.Enqueue(_host.Engine, queue, "before");

        queue.ApplySettings(From(queue) with { MessageTtl = -1 });
        TestMessages.Enqueue(_host.Engine, queue, "after");

        var entries = TestMessages.TakeAll(queue);
        Assert.NotEqual(QueueEntry.NoExpiry, entries[0].ExpiresAt);
        Assert.Equal(QueueEntry.NoExpiry, entries[1].ExpiresAt);
    }

    [Fact]
    public void Max_priority_and_single_active_consumer_stay_as_declared()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-max-priority", 5), ("x-single-active-consumer", true)));

        queue.ApplySettings(From(queue) with { MaxPriority = 0, SingleActiveConsumer = false, MaxLength = 10 });

        Assert.Equal(5, queue.Settings.MaxPriority);
        Assert.True(queue.Settings.SingleActiveConsumer);
        Assert.Equal(10, queue.Settings.MaxLength);
    }

    [Fact]
    public void A_queue_declared_without_priorities_or_single_active_consumer_does_not_gain_them()
    {
        var queue = _host.Queue("q");

        queue.ApplySettings(QueueSettings.Default with { MaxPriority = 10, SingleActiveConsumer = true });

        Assert.Equal(0, queue.Settings.MaxPriority);
        Assert.False(queue.Settings.SingleActiveConsumer);

        // Both consumers still take turns: single-active-consumer did not switch on.
        var channel = new FakeSession();
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "a")).IsError);
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "b")).IsError);
        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2");
        Assert.Equal(["a", "b"], channel.Tags());
    }

    [Fact]
    public void Single_active_consumer_keeps_working_after_settings_that_say_otherwise()
    {
        var queue = _host.Queue("q", arguments: Host.Args(("x-single-active-consumer", true)));
        queue.ApplySettings(From(queue) with { SingleActiveConsumer = false });
        var channel = new FakeSession();
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "a")).IsError);
        Assert.False(queue.AddConsumer(FakeSession.NewConsumer(queue, channel, "b")).IsError);

        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2", "m3");

        Assert.Equal(["a", "a", "a"], channel.Tags());
    }
}
