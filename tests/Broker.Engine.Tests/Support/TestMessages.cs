using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Engine.Tests.Support;

/// <summary>Messages for queue tests: the routing key carries an id so order can be checked.</summary>
internal static class TestMessages
{
    public static Message New(BrokerEngine engine, string id, byte[]? body = null)
    {
        body ??= [];
        var message = engine.Messages.Rent(""u8, System.Text.Encoding.UTF8.GetBytes(id), [0x00, 0x00], body.Length, persistent: false, priority: 0);
        Assert.True(message.AppendBody(body));
        return message;
    }

    public static string Id(Message message) => System.Text.Encoding.UTF8.GetString(message.RoutingKey);

    /// <summary>Enqueues messages with the given ids; the publisher's references are kept (not released).</summary>
    public static List<Message> Enqueue(BrokerEngine engine, MessageQueue queue, params string[] ids)
    {
        var messages = new List<Message>();
        foreach (var id in ids)
        {
            var message = New(engine, id);
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(message, new FlushBatch()));
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Takes every ready message with basic.get semantics (acknowledgement required).</summary>
    public static List<QueueEntry> TakeAll(MessageQueue queue)
    {
        var entries = new List<QueueEntry>();
        while (queue.TryGet(noAck: false, out var entry, out _))
        {
            entries.Add(entry);
        }

        return entries;
    }
}
