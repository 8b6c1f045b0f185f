using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Queues;

/// <summary>
/// Quorum queues count returns (requeues and unacknowledged deliveries of a closed session), annotate
/// redeliveries with the count, and past x-delivery-limit drop or dead-letter the message instead of
/// requeueing it. Classic queues count nothing.
/// </summary>
public class QuorumReturnsTests
{
    private readonly Host _host = new();
    private readonly FakeDeliveryTarget _target = new();
    private readonly Session _session;

    public QuorumReturnsTests()
    {
        _session = new Session(_host.VHost, _host.Connection, _target);
    }

    private MessageQueue Quorum(string name, params (string Key, object? Value)[] arguments) =>
        _host.Queue(name, durable: true, arguments: Host.Args([("x-queue-type", "quorum"), .. arguments]));

    private WrittenGetOk Get(MessageQueue queue)
    {
        var result = _session.Get(queue, noAck: false, new FlushBatch());
        Assert.True(result.Value, "a message was expected");
        return _target.GetOks[^1];
    }

    private void Requeue(ulong deliveryTag)
    {
        var taken = new List<UnackedDelivery>();
        Assert.False(_session.TakeUnacked(deliveryTag, multiple: false, taken).IsError);
        _session.Settle(taken, SettleAction.Requeue, new FlushBatch());
    }

    [Fact]
    public void Each_return_adds_one_to_the_count_a_redelivery_carries()
    {
        var queue = Quorum("qq");
        TestMessages.Enqueue(_host.Engine, queue, "m");

        var first = Get(queue);
        Requeue(first.DeliveryTag);
        var second = Get(queue);
        Requeue(second.DeliveryTag);
        var third = Get(queue);

        Assert.Equal(DeliveryAnnotation.None, first.Annotation);
        Assert.Equal(new DeliveryAnnotation(DeliveryAnnotationKind.DeliveryCount, 1), second.Annotation);
        Assert.Equal(new DeliveryAnnotation(DeliveryAnnotationKind.DeliveryCount, 2), third.Annotation);
        Assert.Equal((false, true, true), (first.Redelivered, second.Redelivered, third.Redelivered));
    }

    [Fact]
    public void Unacknowledged_deliveries_of_a_closing_session_count_as_returns()
    {
        var queue = Quorum("qq");
        TestMessages.Enqueue(_host.Engine, queue, "m");
        var other = new Session(_host.VHost, _host.Connection, new FakeDeliveryTarget());
        Assert.True(other.Get(queue, noAck: false, new FlushBatch()).Value);

        other.Close(alsoRequeue: null, new FlushBatch());

        Assert.Equal(new DeliveryAnnotation(DeliveryAnnotationKind.DeliveryCount, 1), Get(queue).Annotation);
    }

    [Fact]
    public void A_return_past_the_limit_drops_the_message_without_a_dead_letter_exchange()
    {
        var queue = Quorum("qq", ("x-delivery-limit", 1));
        TestMessages.Enqueue(_host.Engine, queue, "m");

        Requeue(Get(queue).DeliveryTag);
        Requeue(Get(queue).DeliveryTag);

        Assert.Equal(new QueueCounts(0, 0, 0), queue.GetCounts());
    }

    [Fact]
    public void A_return_past_the_limit_dead_letters_with_reason_delivery_limit()
    {
        var deadLetters = _host.Queue("dlq");
        var queue = Quorum("qq", ("x-delivery-limit", 0), ("x-dead-letter-exchange", ""), ("x-dead-letter-routing-key", "dlq"));
        TestMessages.Enqueue(_host.Engine, queue, "m");

        Requeue(Get(queue).DeliveryTag);

        var dead = Assert.Single(TestMessages.TakeAll(deadLetters));
        var headers = BasicPropertiesOf(dead).Headers!;
        Assert.Equal("delivery_limit"u8.ToArray(), headers["x-first-death-reason"]);
        Assert.False(headers.ContainsKey("x-delivery-count"));
        Assert.Equal(0, queue.MessageCount);
    }

    [Fact]
    public void Classic_queues_do_not_count_returns()
    {
        var queue = _host.Queue("classic");
        TestMessages.Enqueue(_host.Engine, queue, "m");

        Requeue(Get(queue).DeliveryTag);
        var again = Get(queue);

        Assert.True(again.Redelivered);
        Assert.Equal(DeliveryAnnotation.None, again.Annotation);
    }

    [Fact]
    public void Settings_applied_later_get_quorums_reading_as_the_declared_ones_do()
    {
        var quorum = Quorum("qq", ("x-overflow", Host.Str("reject-publish")), ("x-dead-letter-strategy", Host.Str("at-least-once")));
        var classic = _host.Queue("classic");
        Assert.True(quorum.Settings.DeadLetterAtLeastOnce);

        quorum.ApplySettings(quorum.Settings with { Overflow = OverflowBehaviour.RejectPublishDeadLetter });
        classic.ApplySettings(classic.Settings with { DeadLetterAtLeastOnce = true });

        // reject-publish-dlx acts as drop-head, and at-least-once needs reject-publish: both as RabbitMQ.
        Assert.Equal((OverflowBehaviour.DropHead, false), (quorum.Settings.Overflow, quorum.Settings.DeadLetterAtLeastOnce));
        Assert.False(classic.Settings.DeadLetterAtLeastOnce);
    }

    private static DataModel.Content.BasicProperties BasicPropertiesOf(QueueEntry entry) =>
        DataModel.Content.BasicProperties.Read(entry.Message.Properties);
}
