using System.Text;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// RabbitMQ's consumer_timeout (--consumer-timeout): a delivery left unacknowledged longer than the
/// timeout closes its channel with 406 PRECONDITION_FAILED and RabbitMQ's text, and the message goes
/// back to the queue, redelivered. Checked against RabbitMQ 3.10 with consumer_timeout = 3000: the same
/// code and text, for consumers and for basic.get alike (RabbitMQ notices on a one-minute tick). With
/// BROKER_TEST_CONSUMER_TIMEOUT_URI set to a broker configured with a 1,000 ms consumer timeout (for
/// RabbitMQ, <c>consumer_timeout = 1000</c> in rabbitmq.conf) the same test runs against it.
/// </summary>
public sealed class ConsumerTimeoutTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delivery_not_acked_within_the_timeout_closes_the_channel_and_is_requeued(bool basicGet)
    {
        using var context = new ProcessTestContext(output, "consumer-timeout");
        await context.RunAsync(async () =>
        {
            var external = Environment.GetEnvironmentVariable("BROKER_TEST_CONSUMER_TIMEOUT_URI");
            var broker = string.IsNullOrEmpty(external) ? await context.StartBrokerAsync(null, "--consumer-timeout", "1000") : null;
            await using var connection = await Amqp.ConnectAsync(broker?.Uri ?? new Uri(external!));
            var queue = $"slow-work-{Guid.NewGuid():N}";
            var channel = await connection.CreateChannelAsync();
            var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.ChannelShutdownAsync += (_, reason) =>
            {
                closed.TrySetResult(reason);
                return Task.CompletedTask;
            };
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("job"));
            if (basicGet)
            {
                context.Check(await channel.BasicGetAsync(queue, autoAck: false) is not null, "basic.get found nothing");
            }
            else
            {
                await channel.BasicQosAsync(0, 1, false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
            }

            var started = DateTime.UtcNow;
            // RabbitMQ checks on its channel's one-minute tick; this broker every second.
            var patience = TimeSpan.FromSeconds(broker is null ? 90 : 15);
            var finished = await Task.WhenAny(closed.Task, Task.Delay(patience));
            context.Check(finished == closed.Task, $"the channel was still open {patience.TotalSeconds} s after a delivery that a 1 s consumer timeout should have ended");
            var reason = await closed.Task;
            context.Report($"channel closed after {(DateTime.UtcNow - started).TotalSeconds:F1} s: {reason.ReplyCode} {reason.ReplyText}");
            context.Check(reason.ReplyCode == 406, $"reply code {reason.ReplyCode}, expected 406");
            context.Check(
                reason.ReplyText == "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 1000 ms. This timeout value can be configured, see consumers doc guide to learn more",
                $"reply text '{reason.ReplyText}'");

            // The connection and the broker carry on; the message is back, redelivered.
            await using var other = await connection.CreateChannelAsync();
            var again = await other.BasicGetAsync(queue, autoAck: true);
            context.Check(again is not null && again.Redelivered && Encoding.UTF8.GetString(again.Body.Span) == "job", "the timed-out delivery did not come back redelivered");
            await other.QueueDeleteAsync(queue);
            if (broker is not null)
            {
                await broker.StopGracefullyAsync();
            }
        });
    }
}
