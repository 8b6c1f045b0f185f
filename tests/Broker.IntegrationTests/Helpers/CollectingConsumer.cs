using RabbitMQ.Client;

namespace Broker.IntegrationTests.Helpers;

/// <summary>One basic.deliver as the consumer saw it; the body is copied out of the client's buffer.</summary>
public sealed record Delivery(
    string ConsumerTag,
    ulong DeliveryTag,
    bool Redelivered,
    string Exchange,
    string RoutingKey,
    IReadOnlyBasicProperties Properties,
    byte[] Body)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A consumer that writes every delivery into a channel so tests can await them in order, and records
/// server-sent basic.cancel and cancel-ok separately.
/// </summary>
public sealed class CollectingConsumer : AsyncDefaultBasicConsumer
{
    private readonly System.Threading.Channels.Channel<Delivery> _deliveries =
        System.Threading.Channels.Channel.CreateUnbounded<Delivery>();

    private readonly TaskCompletionSource<string> _serverCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _cancelOk = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _consumeOk = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CollectingConsumer(IChannel channel)
        : base(channel)
    {
    }

    /// <summary>Optional callback run inside the delivery handler (for example to ack).</summary>
    public Func<Delivery, Task>? OnDelivery { get; set; }

    /// <summary>Completes with the consumer tag when the broker cancels the consumer (basic.cancel from the server).</summary>
    public Task<string> ServerCancelled => _serverCancelled.Task;

    /// <summary>Completes with the consumer tag when basic.cancel-ok arrives.</summary>
    public Task<string> CancelOk => _cancelOk.Task;

    /// <summary>Completes with the consumer tag when basic.consume-ok arrives.</summary>
    public Task<string> ConsumeOk => _consumeOk.Task;

    /// <summary>Deliveries received and not yet taken.</summary>
    public int Pending => _deliveries.Reader.Count;

    public override async Task HandleBasicDeliverAsync(
        string consumerTag,
        ulong deliveryTag,
        bool redelivered,
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken = default)
    {
        var delivery = new Delivery(consumerTag, deliveryTag, redelivered, exchange, routingKey, new BasicProperties(properties), body.ToArray());
        _deliveries.Writer.TryWrite(delivery);
        if (OnDelivery is { } callback)
        {
            await callback(delivery);
        }
    }

    public override Task HandleBasicConsumeOkAsync(string consumerTag, CancellationToken cancellationToken = default)
    {
        _consumeOk.TrySetResult(consumerTag);
        return base.HandleBasicConsumeOkAsync(consumerTag, cancellationToken);
    }

    public override Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
    {
        _serverCancelled.TrySetResult(consumerTag);
        return base.HandleBasicCancelAsync(consumerTag, cancellationToken);
    }

    public override Task HandleBasicCancelOkAsync(string consumerTag, CancellationToken cancellationToken = default)
    {
        _cancelOk.TrySetResult(consumerTag);
        return base.HandleBasicCancelOkAsync(consumerTag, cancellationToken);
    }

    /// <summary>Waits for the next delivery (default 10 s) and fails the test if none arrives.</summary>
    public async Task<Delivery> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait.Delivery);
        try
        {
            return await _deliveries.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no delivery arrived within {(timeout ?? Wait.Delivery).TotalSeconds} s");
        }
    }

    /// <summary>Waits for the next <paramref name="count"/> deliveries.</summary>
    public async Task<IReadOnlyList<Delivery>> NextAsync(int count, TimeSpan? timeout = null)
    {
        var list = new List<Delivery>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await NextAsync(timeout));
        }

        return list;
    }

    /// <summary>Asserts that nothing more arrives within a short fixed wait.</summary>
    public async Task AssertNoMoreAsync(TimeSpan? wait = null)
    {
        await Task.Delay(wait ?? Wait.Quiet);
        if (_deliveries.Reader.TryRead(out var extra))
        {
            throw new Xunit.Sdk.XunitException($"unexpected delivery: tag {extra.DeliveryTag} body '{extra.Text}'");
        }
    }
}
