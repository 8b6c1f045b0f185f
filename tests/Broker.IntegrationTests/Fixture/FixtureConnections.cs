using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.IntegrationTests.Fixture;

/// <summary>Connections and waits the fixture's own tests share.</summary>
internal static class FixtureConnections
{
    public static Task<IConnection> ConnectAsync(Uri uri, string name = "fixture-test", bool recover = false) =>
        new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = recover,
            TopologyRecoveryEnabled = recover,
            NetworkRecoveryInterval = TimeSpan.FromMilliseconds(100),
        }.CreateConnectionAsync(name);

    /// <summary>Completes with the reason the connection was shut down for.</summary>
    public static Task<ShutdownEventArgs> ShutdownOf(IConnection connection)
    {
        var shutdown = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, args) =>
        {
            shutdown.TrySetResult(args);
            return Task.CompletedTask;
        };
        return shutdown.Task;
    }

    /// <summary>Completes when automatic recovery reconnected.</summary>
    public static Task RecoveryOf(IConnection connection)
    {
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.RecoverySucceededAsync += (_, _) =>
        {
            recovered.TrySetResult();
            return Task.CompletedTask;
        };
        return recovered.Task;
    }

    public static async Task<bool> QueueExistsAsync(IConnection connection, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    public static Task<BasicDeliverEventArgs> NextDeliveryAsync(IChannel channel, string queue)
    {
        var delivered = new TaskCompletionSource<BasicDeliverEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, args) =>
        {
            delivered.TrySetResult(new BasicDeliverEventArgs(args.ConsumerTag, args.DeliveryTag, args.Redelivered, args.Exchange, args.RoutingKey, args.BasicProperties, args.Body.ToArray()));
            return Task.CompletedTask;
        };
        _ = channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return delivered.Task;
    }
}
