using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>A message as a consumer or basic.get received it (body copied).</summary>
public sealed record Delivery(ulong DeliveryTag, bool Redelivered, string Exchange, string RoutingKey, IReadOnlyBasicProperties Properties, byte[] Body)
{
    /// <summary>The id of a <see cref="TestMessages"/> body, or null if the body is not a valid one.</summary>
    public long? Id => TestMessages.TryRead(Body, out var id) ? id : null;

    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>AMQP client helpers over RabbitMQ.Client 7.</summary>
public static class Amqp
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Channels whose publishes complete when the broker confirms them (and throw if it nacks).</summary>
    public static readonly CreateChannelOptions Confirming = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    public static BasicProperties Persistent() => new() { DeliveryMode = DeliveryModes.Persistent };

    public static BasicProperties Transient() => new() { DeliveryMode = DeliveryModes.Transient };

    public static Task<IConnection> ConnectAsync(BrokerProcess broker, string name = "process-test") => ConnectAsync(broker.Uri, name);

    public static async Task<IConnection> ConnectAsync(Uri uri, string name = "process-test")
    {
        var factory = new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedHeartbeat = TimeSpan.FromSeconds(60),
            ContinuationTimeout = Patience,
            HandshakeContinuationTimeout = Patience,
            RequestedConnectionTimeout = Patience,
        };
        return await factory.CreateConnectionAsync(name);
    }

    /// <summary>
    /// Publishes every message on a confirming channel with up to <paramref name="window"/> unconfirmed
    /// at a time, and returns once all are confirmed (throws if any is nacked or the channel fails).
    /// </summary>
    public static async Task PublishConfirmedAsync(IChannel confirming, string exchange, string routingKey, IEnumerable<(BasicProperties Properties, byte[] Body)> messages, int window = 64)
    {
        var pending = new List<Task>(window);
        foreach (var (properties, body) in messages)
        {
            pending.Add(confirming.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body).AsTask());
            if (pending.Count >= window)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>basic.get without auto-ack, copying the result, or null when the queue has nothing ready.</summary>
    public static async Task<Delivery?> GetAsync(IChannel channel, string queue, bool autoAck = false)
    {
        var result = await channel.BasicGetAsync(queue, autoAck);
        return result is null
            ? null
            : new Delivery(result.DeliveryTag, result.Redelivered, result.Exchange, result.RoutingKey, result.BasicProperties, result.Body.ToArray());
    }

    /// <summary>
    /// Reads every message of a queue: as many as queue.declare reports, then checks with basic.get that
    /// there is no more. With <paramref name="ack"/> acks them all (multiple) and makes a round trip;
    /// without, closing the channel puts them back.
    /// </summary>
    public static async Task<List<Delivery>> ReadQueueAsync(IConnection connection, string queue, bool ack)
    {
        await using var channel = await connection.CreateChannelAsync();
        var count = (int)await MessageCountAsync(channel, queue);
        var consumer = await QueueConsumer.StartAsync(channel, queue, prefetch: 0);
        var deliveries = await consumer.TakeAsync(count, Patience);
        await using (var other = await connection.CreateChannelAsync())
        {
            if (await GetAsync(other, queue) is { } extra)
            {
                throw new InvalidOperationException($"queue.declare reported {count} messages in {queue} but there are more, e.g. {TestMessages.Describe(extra.Body)}");
            }
        }

        if (ack && deliveries.Count > 0)
        {
            await channel.BasicAckAsync(deliveries[^1].DeliveryTag, multiple: true);
            _ = await MessageCountAsync(channel, queue);
        }

        return deliveries;
    }

    /// <summary>The number of messages ready in a queue (queue.declare passive); throws if it does not exist.</summary>
    /// <summary>Whether the broker refuses the URI's credentials (403 ACCESS_REFUSED during the handshake).</summary>
    public static async Task<bool> LoginRefusedAsync(Uri uri)
    {
        try
        {
            await using var connection = await ConnectAsync(uri);
            return false;
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException ex) when (ex.InnerException is RabbitMQ.Client.Exceptions.AuthenticationFailureException)
        {
            return true;
        }
    }

    public static async Task<uint> MessageCountAsync(IChannel channel, string queue) =>
        (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
}

/// <summary>A basic.consume on a channel whose deliveries are read in order with a timeout.</summary>
public sealed class QueueConsumer
{
    private readonly Channel<Delivery> _deliveries = System.Threading.Channels.Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });

    private QueueConsumer(IChannel channel)
    {
        Channel = channel;
    }

    public IChannel Channel { get; }

    public string ConsumerTag { get; private set; } = "";

    public static async Task<QueueConsumer> StartAsync(IChannel channel, string queue, ushort prefetch, bool autoAck = false, IDictionary<string, object?>? arguments = null)
    {
        if (prefetch > 0)
        {
            await channel.BasicQosAsync(0, prefetch, global: false);
        }

        var consumer = new QueueConsumer(channel);
        var handler = new AsyncEventingBasicConsumer(channel);
        handler.ReceivedAsync += (_, e) =>
        {
            consumer._deliveries.Writer.TryWrite(new Delivery(e.DeliveryTag, e.Redelivered, e.Exchange, e.RoutingKey, e.BasicProperties, e.Body.ToArray()));
            return Task.CompletedTask;
        };
        consumer.ConsumerTag = await channel.BasicConsumeAsync(queue, autoAck, "", noLocal: false, exclusive: false, arguments, handler);
        return consumer;
    }

    /// <summary>The next delivery; throws <see cref="TimeoutException"/> if none comes within the timeout.</summary>
    public async Task<Delivery> NextAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            return await _deliveries.Reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no delivery within {timeout.TotalSeconds:F0} s (channel open: {Channel.IsOpen}, close reason: {Channel.CloseReason})");
        }
    }

    /// <summary>The next <paramref name="count"/> deliveries, each within the timeout.</summary>
    public async Task<List<Delivery>> TakeAsync(int count, TimeSpan timeout)
    {
        var list = new List<Delivery>(count);
        try
        {
            while (list.Count < count)
            {
                list.Add(await NextAsync(timeout));
            }
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"received {list.Count} of {count} deliveries: {ex.Message}"
                + (list.Count > 0 ? $"; the last one: {TestMessages.Describe(list[^1].Body)}" : ""), ex);
        }

        return list;
    }

    /// <summary>A delivery if one arrives within the (short) wait, else null.</summary>
    public async Task<Delivery?> TryNextAsync(TimeSpan wait)
    {
        try
        {
            return await NextAsync(wait);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
