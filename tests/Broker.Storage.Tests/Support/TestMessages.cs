using System.Reflection;
using System.Text;
using Broker.DataModel.Content;
using Broker.Engine.Messages;
using Broker.Engine.Queues;

namespace Broker.Storage.Tests.Support;

/// <summary>Messages whose routing key carries an id, with deterministic bodies, so what comes back can be checked.</summary>
internal static class TestMessages
{
    private static readonly FieldInfo ReferencesField =
        typeof(Message).GetField("_references", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("Message has no _references field");

    public static Message New(MessagePool pool, string id, int bodySize = 16, bool persistent = false, string exchange = "test.exchange", byte priority = 0)
    {
        var properties = new BasicProperties
        {
            DeliveryMode = persistent ? (byte)2 : (byte)1,
            MessageId = id,
            Priority = priority == 0 ? null : priority,
        }.Encode();
        var body = Body(id, bodySize);
        var message = pool.Rent(Encoding.UTF8.GetBytes(exchange), Encoding.UTF8.GetBytes(id), properties, body.Length, persistent, priority);
        Assert.True(message.AppendBody(body));
        return message;
    }

    /// <summary>A body that differs for every id and size.</summary>
    public static byte[] Body(string id, int size)
    {
        var seed = id.GetHashCode(StringComparison.Ordinal);
        var body = new byte[size];
        for (var i = 0; i < size; i++)
        {
            body[i] = (byte)((i * 31) ^ (seed >> (i % 24)));
        }

        return body;
    }

    public static string Id(Message message) => Encoding.UTF8.GetString(message.RoutingKey);

    public static List<string> Ids(IEnumerable<QueueEntry> entries) => [.. entries.Select(e => Id(e.Message))];

    public static int References(Message message) => (int)ReferencesField.GetValue(message)!;

    /// <summary>Asserts that <paramref name="actual"/> holds the same exchange, routing key, properties and body.</summary>
    public static void AssertSameContent(Message expected, Message actual)
    {
        Assert.Equal(expected.Exchange.ToArray(), actual.Exchange.ToArray());
        Assert.Equal(expected.RoutingKey.ToArray(), actual.RoutingKey.ToArray());
        Assert.Equal(expected.Properties.ToArray(), actual.Properties.ToArray());
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
        Assert.True(actual.IsComplete);
    }

    /// <summary>Asserts the content a message made by <see cref="New"/> with these arguments has.</summary>
    public static void AssertContent(Message actual, string id, int bodySize, string exchange = "test.exchange")
    {
        Assert.Equal(id, Id(actual));
        Assert.Equal(exchange, Encoding.UTF8.GetString(actual.Exchange));
        Assert.Equal(id, BasicProperties.Read(actual.Properties).MessageId);
        Assert.Equal(Body(id, bodySize), actual.Body.ToArray());
    }

    public static void ReleaseAll(IEnumerable<QueueEntry> entries)
    {
        foreach (var entry in entries)
        {
            entry.Message.Release();
        }
    }
}
