using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>Two brokers never share a data directory: the second one refuses to start and changes nothing.</summary>
public sealed class DataDirectoryLockTests(ITestOutputHelper output)
{
    private const string Queue = "lock";

    [Fact]
    public async Task A_second_broker_on_a_data_directory_in_use_exits_with_an_error_and_the_first_keeps_working()
    {
        using var context = new ProcessTestContext(output, "lock");
        await context.RunAsync(async () =>
        {
            var first = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(first))
            await using (var channel = await connection.CreateChannelAsync(Amqp.Confirming))
            {
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
                await channel.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(1, 100));
            }

            var incarnation = await File.ReadAllBytesAsync(Path.Combine(context.DataDirectory, "incarnation"));
            var listing = ProcessTestContext.ListDirectory(context.DataDirectory);
            var second = await context.RunBrokerUntilExitAsync();
            context.Report($"second broker: exit code {second.ExitCode}; its log:\n{second.Log}");
            context.Check(second.ExitCode != 0, $"the second broker exited with code {second.ExitCode}, expected non-zero");
            context.Check(second.Log.Contains("is in use by another broker", StringComparison.Ordinal), "the second broker's log does not say the data directory is in use");
            context.Check(!second.Log.Contains("listening on", StringComparison.Ordinal), "the second broker listened");
            context.Check((await File.ReadAllBytesAsync(Path.Combine(context.DataDirectory, "incarnation"))).SequenceEqual(incarnation), "the second broker changed the incarnation file");
            context.Check(ProcessTestContext.ListDirectory(context.DataDirectory) == listing,
                $"the second broker changed the data directory:\nbefore\n{listing}\nafter\n{ProcessTestContext.ListDirectory(context.DataDirectory)}");

            await using (var connection = await Amqp.ConnectAsync(first))
            await using (var channel = await connection.CreateChannelAsync(Amqp.Confirming))
            {
                await channel.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(2, 100));
            }

            await first.StopGracefullyAsync();
            var third = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(third))
            {
                var ids = (await Amqp.ReadQueueAsync(connection, Queue, ack: false)).Select(d => d.Id).ToList();
                context.Check(ids.SequenceEqual([1L, 2L]), $"after the first broker's graceful stop the queue holds [{string.Join(",", ids)}], expected [1,2]");
            }

            await third.StopGracefullyAsync();
        });
    }
}
