using System.Text.RegularExpressions;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Damaged files in the data directory (a torn or scribbled segment tail, garbage after an ack file or
/// the definitions log): the broker still starts, cuts the damage off with a warning, serves the intact
/// messages in order and never a damaged one, and keeps working on the repaired files.
/// </summary>
public sealed partial class CorruptionTests(ITestOutputHelper output)
{
    private const string Queue = "corruption";
    private const int Count = 50;

    [Fact]
    public async Task A_segment_truncated_in_its_last_record_loses_that_record_only()
    {
        using var context = new ProcessTestContext(output, "truncated-segment");
        await context.RunAsync(async () =>
        {
            await PublishAndStopAsync(context, Count);
            var segment = StorageFiles.Segments(StorageFiles.SingleQueueDirectory(context.DataDirectory))[^1];
            var records = StorageFiles.Records(segment);
            var last = records[^1];
            var cutAt = last.Offset + (last.Size / 2);
            StorageFiles.Truncate(segment, cutAt);
            context.Report($"{Path.GetFileName(segment)}: {records.Count} records, {new FileInfo(segment).Length} bytes after truncating the last record (at {last.Offset}, {last.Size} bytes) to {cutAt}");

            await RestartAndCheckAsync(context, expectedIds: Count - 1);
        });
    }

    [Theory]
    [InlineData(40, 0)]
    [InlineData(40, 10)]
    [InlineData(49, 100)]
    public async Task A_scribbled_segment_tail_is_cut_and_never_served(int fromRecord, int offsetInRecord)
    {
        using var context = new ProcessTestContext(output, "scribbled-segment");
        await context.RunAsync(async () =>
        {
            await PublishAndStopAsync(context, Count);
            var segment = StorageFiles.Segments(StorageFiles.SingleQueueDirectory(context.DataDirectory))[^1];
            var records = StorageFiles.Records(segment);
            var start = records[fromRecord].Offset + offsetInRecord;
            var length = new FileInfo(segment).Length;
            StorageFiles.Scribble(segment, start, (int)(length - start), new Random(fromRecord * 1000 + offsetInRecord));
            context.Report($"{Path.GetFileName(segment)}: {records.Count} records, {length} bytes; random bytes from {start} (record {fromRecord} + {offsetInRecord}) to the end");

            await RestartAndCheckAsync(context, expectedIds: fromRecord);
        });
    }

    [Fact]
    public async Task Garbage_after_an_ack_file_and_after_the_definitions_log_is_cut()
    {
        using var context = new ProcessTestContext(output, "garbage-ack-definitions");
        await context.RunAsync(async () =>
        {
            const int acked = 5;
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            {
                await PublishAsync(connection, 20);
                await using var channel = await connection.CreateChannelAsync();
                for (var i = 0; i < acked; i++)
                {
                    var delivery = await Amqp.GetAsync(channel, Queue) ?? throw context.Failure("the queue is empty");
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                }

                await channel.QueueDeclareAsync("declared-after", durable: true, exclusive: false, autoDelete: false);
            }

            await broker.StopGracefullyAsync();
            var directory = StorageFiles.SingleQueueDirectory(context.DataDirectory);
            var ack = Directory.GetFiles(directory, "*.ack").Order(StringComparer.Ordinal).FirstOrDefault()
                ?? throw context.Failure("no .ack file after acking messages and a graceful stop");
            var definitionsLog = Path.Combine(context.DataDirectory, "definitions.log");
            var random = new Random(7);
            var garbage = new byte[StorageFiles.AckRecordSize + 13];
            random.NextBytes(garbage);
            var ackLength = new FileInfo(ack).Length;
            StorageFiles.Append(ack, garbage);
            var logLength = new FileInfo(definitionsLog).Length;
            var torn = new byte[40];
            random.NextBytes(torn);
            StorageFiles.Append(definitionsLog, [.. "0badc0de {\"type\":\"queue_declared\",\"vhost\":\"/\",\"name\":\"bogus\"}\n"u8, .. "1234abcd {\"type\":\"que"u8, .. torn]);
            context.Report($"{Path.GetFileName(ack)}: {ackLength} bytes + {garbage.Length} of garbage; definitions.log: {logLength} bytes + a line with a wrong checksum and a torn line");

            var restarted = await context.StartBrokerAsync();
            context.Check(Regex.IsMatch(restarted.Log, @"recovery: cut \d+ bytes of torn ack records"), "no recovery warning about the ack file's garbage");
            context.Check(Regex.IsMatch(restarted.Log, @"recovery: cut \d+ bytes of a torn definitions log entry"), "no recovery warning about the definitions log's garbage");
            await using (var connection = await Amqp.ConnectAsync(restarted))
            {
                await using var channel = await connection.CreateChannelAsync();
                _ = await channel.QueueDeclarePassiveAsync("declared-after");
                var bogus = await QueueExistsAsync(connection, "bogus");
                context.Check(!bogus, "the queue 'bogus' from a definitions log line with a wrong checksum exists");
                var ids = (await Amqp.ReadQueueAsync(connection, Queue, ack: false)).Select(d => d.Id).ToList();
                context.Check(ids.SequenceEqual(Enumerable.Range(acked, 20 - acked).Select(i => (long?)i)),
                    $"after the restart the queue holds ids [{string.Join(",", ids)}], expected {acked}..19");

                // The repaired files take new records: ack two more, declare a queue, restart again.
                var two = await Amqp.GetAsync(channel, Queue);
                var three = await Amqp.GetAsync(channel, Queue);
                await channel.BasicAckAsync(three!.DeliveryTag, multiple: true);
                _ = two;
                await channel.QueueDeclareAsync("declared-after-repair", durable: true, exclusive: false, autoDelete: false);
            }

            await restarted.StopGracefullyAsync();
            var again = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(again))
            {
                context.Check(await QueueExistsAsync(connection, "declared-after-repair"), "a queue declared after the repair is gone after the next restart");
                var ids = (await Amqp.ReadQueueAsync(connection, Queue, ack: false)).Select(d => d.Id).ToList();
                context.Check(ids.SequenceEqual(Enumerable.Range(acked + 2, 20 - acked - 2).Select(i => (long?)i)),
                    $"after acking two more and another restart the queue holds ids [{string.Join(",", ids)}], expected {acked + 2}..19");
            }

            await again.StopGracefullyAsync();
        });
    }

    /// <summary>Starts a broker, publishes ids 0..count-1 (persistent, confirmed, varied sizes), stops it gracefully.</summary>
    private static async Task PublishAndStopAsync(ProcessTestContext context, int count)
    {
        var broker = await context.StartBrokerAsync();
        await using (var connection = await Amqp.ConnectAsync(broker))
        {
            await PublishAsync(connection, count);
        }

        await broker.StopGracefullyAsync();
    }

    private static async Task PublishAsync(IConnection connection, int count)
    {
        await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        var random = new Random(count);
        await Amqp.PublishConfirmedAsync(channel, "", Queue, Enumerable.Range(0, count).Select(id => (Amqp.Persistent(), TestMessages.Body(id, random.Next(300, 3000)))));
    }

    /// <summary>
    /// Restarts on the damaged directory: the broker must start, warn that it cut bytes, and serve exactly
    /// ids 0..expectedIds-1, intact and in order; then a message published now must come after them,
    /// also after one more restart (appends line up with the cut file).
    /// </summary>
    private static async Task RestartAndCheckAsync(ProcessTestContext context, int expectedIds)
    {
        var broker = await context.StartBrokerAsync();
        var warning = CutWarning().Match(broker.Log);
        context.Check(warning.Success, "no 'recovery: cut N bytes' warning in the log");
        context.Report($"warning: {warning.Value}; recovered: {broker.Recovered}");
        await using (var connection = await Amqp.ConnectAsync(broker))
        {
            var deliveries = await Amqp.ReadQueueAsync(connection, Queue, ack: false);
            CheckIds(context, deliveries, expectedIds, "after the restart");
            await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
            await channel.BasicPublishAsync("", Queue, mandatory: false, Amqp.Persistent(), TestMessages.Body(1000, 500));
        }

        await broker.StopGracefullyAsync();
        var again = await context.StartBrokerAsync();
        await using (var connection = await Amqp.ConnectAsync(again))
        {
            var deliveries = await Amqp.ReadQueueAsync(connection, Queue, ack: false);
            var ids = deliveries.Select(d => d.Id).ToList();
            context.Check(ids.Count == expectedIds + 1 && ids[^1] == 1000,
                $"after publishing id 1000 on the repaired log and another restart the queue holds [{string.Join(",", ids)}], expected 0..{expectedIds - 1} then 1000");
            CheckIds(context, deliveries[..^1], expectedIds, "after the second restart");
        }

        await again.StopGracefullyAsync();
    }

    private static void CheckIds(ProcessTestContext context, List<Delivery> deliveries, int expectedIds, string when)
    {
        var corrupted = deliveries.Where(d => d.Id is null).Select(d => TestMessages.Describe(d.Body)).ToList();
        context.Check(corrupted.Count == 0, $"{when}: damaged messages were served: {string.Join("; ", corrupted.Take(5))}");
        var ids = deliveries.Select(d => d.Id!.Value).ToList();
        context.Check(ids.SequenceEqual(Enumerable.Range(0, expectedIds).Select(i => (long)i)),
            $"{when}: the queue holds ids [{string.Join(",", ids)}], expected exactly 0..{expectedIds - 1} in order");
    }

    private static async Task<bool> QueueExistsAsync(IConnection connection, string queue)
    {
        var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
        finally
        {
            channel.Dispose();
        }
    }

    [GeneratedRegex(@"recovery: cut \d+ bytes[^\n]*")]
    private static partial Regex CutWarning();
}
