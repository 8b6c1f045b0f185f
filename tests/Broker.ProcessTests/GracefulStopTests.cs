using System.Collections.Concurrent;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// SIGTERM: open connections get connection.close 320 CONNECTION_FORCED (as from RabbitMQ at shutdown),
/// the broker exits with 0 after syncing, and every message it confirmed is there after the restart, once.
/// </summary>
public sealed class GracefulStopTests(ITestOutputHelper output)
{
    private const string Queue = "graceful";

    [Fact]
    public async Task Sigterm_closes_open_connections_with_320_connection_forced()
    {
        using var context = new ProcessTestContext(output, "graceful-320");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var reasons = new List<Task<ShutdownEventArgs>>();
            var connections = new List<IConnection>();
            for (var i = 0; i < 2; i++)
            {
                var connection = await Amqp.ConnectAsync(broker, $"client-{i}");
                var shutdown = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
                connection.ConnectionShutdownAsync += (_, e) =>
                {
                    shutdown.TrySetResult(e);
                    return Task.CompletedTask;
                };
                reasons.Add(shutdown.Task);
                connections.Add(connection);
            }

            // One idle connection, one with a consumer on a durable queue.
            var channel = await connections[1].CreateChannelAsync();
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
            await channel.BasicConsumeAsync(Queue, autoAck: false, new AsyncEventingBasicConsumer(channel));

            await broker.StopGracefullyAsync();
            var seen = new List<string>();
            foreach (var reason in reasons)
            {
                var e = await reason.WaitAsync(Amqp.Patience);
                seen.Add($"{e.ReplyCode} '{e.ReplyText}' ({e.Initiator})");
            }

            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            context.Report("the clients saw: " + string.Join("; ", seen));
            context.Check(seen.All(s => s.StartsWith("320 ", StringComparison.Ordinal) && s.EndsWith("(Peer)", StringComparison.Ordinal)),
                $"after SIGTERM the clients saw their connections end with [{string.Join("; ", seen)}], expected connection.close 320 CONNECTION_FORCED from the broker");
        });
    }

    [Fact]
    public async Task Sigterm_under_load_keeps_every_confirmed_message()
    {
        using var context = new ProcessTestContext(output, "graceful-stop");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            var connection = await Amqp.ConnectAsync(broker);
            var shutdown = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.ConnectionShutdownAsync += (_, e) =>
            {
                shutdown.TrySetResult(e);
                return Task.CompletedTask;
            };
            var channel = await connection.CreateChannelAsync(Amqp.Confirming);
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);

            var confirmed = new ConcurrentDictionary<long, bool>();
            long published = 0;
            var firstConfirm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var abandon = new CancellationTokenSource();
            var publishing = Task.Run(async () =>
            {
                using var window = new SemaphoreSlim(32);
                var inFlight = new List<Task>();
                try
                {
                    for (long id = 0; channel.IsOpen; id++)
                    {
                        await window.WaitAsync(abandon.Token);
                        published = id + 1;
                        var publish = channel.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(id, 500), abandon.Token).AsTask();
                        var current = id;
                        inFlight.Add(publish.ContinueWith(
                            task =>
                            {
                                if (task.IsCompletedSuccessfully)
                                {
                                    confirmed[current] = true;
                                    firstConfirm.TrySetResult();
                                }

                                window.Release();
                            },
                            CancellationToken.None,
                            TaskContinuationOptions.ExecuteSynchronously,
                            TaskScheduler.Default));
                    }
                }
                catch (Exception)
                {
                    // The broker closed the connection.
                }

                try
                {
                    await Task.WhenAll(inFlight);
                }
                catch (Exception)
                {
                    // Unconfirmed publishes.
                }
            });

            await firstConfirm.Task.WaitAsync(Amqp.Patience);
            await Task.Delay(300);
            await broker.StopGracefullyAsync();
            var reason = await shutdown.Task.WaitAsync(Amqp.Patience);

            // Confirms that arrived before the close are processed by now; RabbitMQ.Client 7.2.1 may
            // leave the other publishes waiting forever, so they are given up (they are unconfirmed).
            await Task.Delay(200);
            await abandon.CancelAsync();
            await publishing.WaitAsync(Amqp.Patience);
            connection.Dispose();

            var restarted = await context.StartBrokerAsync();
            await using (var check = await Amqp.ConnectAsync(restarted))
            {
                var ids = (await Amqp.ReadQueueAsync(check, Queue, ack: false)).Select(d => d.Id ?? -1).ToList();
                var missing = confirmed.Keys.Where(id => !ids.Contains(id)).Order().ToList();
                context.Report($"published {published}, confirmed {confirmed.Count} before the connection ended ({reason.ReplyCode} '{reason.ReplyText}', {reason.Initiator}); "
                    + $"after the restart {ids.Count} messages; recovered: {restarted.Recovered}");
                context.Check(ids.All(id => id >= 0 && id < published), "the queue holds damaged or unknown messages");
                context.Check(ids.Distinct().Count() == ids.Count, "a message is in the queue twice");
                context.Check(missing.Count == 0, $"{missing.Count} confirmed messages are missing after the graceful restart: {string.Join(",", missing.Take(20))}");
            }

            await restarted.StopGracefullyAsync();
        });
    }
}
