using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests.Helpers;

/// <summary>Small helpers shared by the test classes.</summary>
public static class Amqp
{
    public static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    /// <summary>Header values of type longstr arrive as byte[] in RabbitMQ.Client.</summary>
    public static string HeaderString(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string s => s,
        _ => throw new Xunit.Sdk.XunitException($"header value {value ?? "null"} ({value?.GetType().Name}) is not a string"),
    };

    public static ValueTask PublishAsync(this IChannel channel, string exchange, string routingKey, string body, bool mandatory = false) =>
        channel.BasicPublishAsync(exchange, routingKey, mandatory, new BasicProperties(), Body(body));

    public static ValueTask PublishAsync(this IChannel channel, string exchange, string routingKey, string body, BasicProperties properties, bool mandatory = false) =>
        channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, Body(body));

    /// <summary>Starts a <see cref="CollectingConsumer"/> on the queue and returns it with its consumer tag.</summary>
    public static async Task<CollectingConsumer> ConsumeAsync(
        this IChannel channel,
        string queue,
        bool autoAck = false,
        string consumerTag = "",
        bool exclusive = false,
        IDictionary<string, object?>? arguments = null)
    {
        var consumer = new CollectingConsumer(channel);
        await channel.BasicConsumeAsync(queue, autoAck, consumerTag, noLocal: false, exclusive, arguments, consumer);
        return consumer;
    }

    /// <summary>Ready-message count as reported by a passive queue.declare.</summary>
    public static async Task<uint> ReadyCountAsync(this IChannel channel, string queue) =>
        (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;

    /// <summary>basic.get that must return a message.</summary>
    public static async Task<BasicGetResult> GetRequiredAsync(this IChannel channel, string queue, bool autoAck)
    {
        var result = await channel.BasicGetAsync(queue, autoAck);
        Assert.NotNull(result);
        return result!;
    }

    /// <summary>Completes with the channel's close reason, whether it closed already or closes later.</summary>
    public static async Task<ShutdownEventArgs> WaitForCloseAsync(this IChannel channel, TimeSpan? timeout = null)
    {
        var tcs = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        AsyncEventHandler<ShutdownEventArgs> handler = (_, args) =>
        {
            tcs.TrySetResult(args);
            return Task.CompletedTask;
        };
        channel.ChannelShutdownAsync += handler;
        try
        {
            if (channel.CloseReason is { } already)
            {
                return already;
            }

            return await tcs.Task.WaitAsync(timeout ?? Wait.Delivery);
        }
        finally
        {
            channel.ChannelShutdownAsync -= handler;
        }
    }

    /// <summary>Completes with the connection's close reason, whether it closed already or closes later.</summary>
    public static async Task<ShutdownEventArgs> WaitForCloseAsync(this IConnection connection, TimeSpan? timeout = null)
    {
        var tcs = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        AsyncEventHandler<ShutdownEventArgs> handler = (_, args) =>
        {
            tcs.TrySetResult(args);
            return Task.CompletedTask;
        };
        connection.ConnectionShutdownAsync += handler;
        try
        {
            if (connection.CloseReason is { } already)
            {
                return already;
            }

            return await tcs.Task.WaitAsync(timeout ?? Wait.Delivery);
        }
        finally
        {
            connection.ConnectionShutdownAsync -= handler;
        }
    }

    /// <summary>
    /// Runs a synchronous AMQP method that must fail with a channel error and asserts the reply code and
    /// text that the broker sent in channel.close. Returns the close reason.
    /// </summary>
    public static async Task<ShutdownEventArgs> AssertChannelErrorAsync(this IChannel channel, ushort code, string text, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<OperationInterruptedException>(action);
        var reason = ex.ShutdownReason;
        Assert.NotNull(reason);
        Assert.Equal(ShutdownInitiator.Peer, reason!.Initiator);
        AssertReply(code, text, reason.ReplyCode, reason.ReplyText);
        Assert.True(channel.IsClosed, "the channel should be closed after a channel error");
        return reason;
    }

    /// <summary>
    /// For asynchronous methods (publish, ack, reject) whose error arrives later as channel.close: runs the
    /// action and waits for the channel to be closed by the broker with this code and text.
    /// </summary>
    public static async Task<ShutdownEventArgs> AssertAsyncChannelErrorAsync(this IChannel channel, ushort code, string text, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (OperationInterruptedException)
        {
            // the close may overtake the call (AlreadyClosedException derives from this); checked below
        }

        var reason = await channel.WaitForCloseAsync();
        Assert.Equal(ShutdownInitiator.Peer, reason.Initiator);
        AssertReply(code, text, reason.ReplyCode, reason.ReplyText);
        return reason;
    }

    /// <summary>
    /// Runs an action that must make the broker close the whole connection, and asserts the code and text of
    /// the broker's connection.close.
    /// </summary>
    public static async Task<ShutdownEventArgs> AssertConnectionErrorAsync(this IConnection connection, ushort code, string text, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (OperationInterruptedException)
        {
            // the call may fail or succeed depending on when the close arrives; checked below
        }

        var reason = await connection.WaitForCloseAsync();
        Assert.Equal(ShutdownInitiator.Peer, reason.Initiator);
        AssertReply(code, text, reason.ReplyCode, reason.ReplyText);
        Assert.False(connection.IsOpen);
        return reason;
    }

    /// <summary>Asserts a reply code and text, printing both in full when they differ.</summary>
    public static void AssertReply(ushort expectedCode, string expectedText, ushort actualCode, string actualText)
    {
        if (expectedCode != actualCode || expectedText != actualText)
        {
            throw new Xunit.Sdk.XunitException($"expected reply {expectedCode} \"{expectedText}\"\n but got reply {actualCode} \"{actualText}\"");
        }
    }

    /// <summary>Polls a condition until it holds (default 10 s); for state that the broker changes asynchronously.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait.Delivery);
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"condition not met in time: {because}");
            }

            await Task.Delay(50);
        }
    }
}
