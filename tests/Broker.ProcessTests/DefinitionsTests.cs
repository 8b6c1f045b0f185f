using System.Text.Json;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// Definitions survive restarts exactly: many durable queues declared and half of them deleted, then a
/// crash (declare-ok and delete-ok come after the change is synced) and a graceful restart; the snapshot
/// is in RabbitMQ's definitions format.
/// </summary>
public sealed class DefinitionsTests(ITestOutputHelper output)
{
    private const int Declared = 500;

    private static string Name(int i) => $"definitions-{i:D3}";

    [Fact]
    public async Task Deleted_queues_stay_deleted_and_the_others_stay_after_kill_9_and_graceful_restarts()
    {
        using var context = new ProcessTestContext(output, "definitions");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker))
            await using (var channel = await connection.CreateChannelAsync())
            {
                for (var i = 0; i < Declared; i++)
                {
                    await channel.QueueDeclareAsync(Name(i), durable: true, exclusive: false, autoDelete: false);
                    await channel.QueueBindAsync(Name(i), "amq.topic", $"key.{i}");
                }

                for (var i = 1; i < Declared; i += 2)
                {
                    await channel.QueueDeleteAsync(Name(i));
                }

                broker.Kill();
            }

            var expected = Enumerable.Range(0, Declared).Where(i => i % 2 == 0).Select(Name).ToHashSet();
            var afterCrash = await context.StartBrokerAsync();
            context.Report($"after kill -9: recovered {afterCrash.Recovered}; definitions.json {new FileInfo(Path.Combine(context.DataDirectory, "definitions.json")).Length} bytes");
            await CheckAsync(context, afterCrash, expected);

            await afterCrash.StopGracefullyAsync();
            var afterStop = await context.StartBrokerAsync();
            await CheckAsync(context, afterStop, expected);
            await afterStop.StopGracefullyAsync();
            CheckSnapshot(context, expected);
        });
    }

    private static async Task CheckAsync(ProcessTestContext context, BrokerProcess broker, HashSet<string> expected)
    {
        context.Check(broker.Recovered?.Queues == expected.Count, $"the broker recovered {broker.Recovered?.Queues} queues, expected {expected.Count}");
        await using var connection = await Amqp.ConnectAsync(broker);
        var wrong = new List<string>();
        IChannel? channel = null;
        for (var i = 0; i < Declared; i++)
        {
            channel ??= await connection.CreateChannelAsync();
            var exists = true;
            try
            {
                await channel.QueueDeclarePassiveAsync(Name(i));
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                exists = false;
                channel.Dispose();
                channel = null;
            }

            if (exists != expected.Contains(Name(i)))
            {
                wrong.Add($"{Name(i)} {(exists ? "exists" : "is missing")}");
            }
        }

        channel?.Dispose();
        context.Check(wrong.Count == 0, $"{wrong.Count} queues wrong after the restart: {string.Join(", ", wrong.Take(20))}");

        // The kept queues' bindings are back too.
        await using var publisher = await connection.CreateChannelAsync(Amqp.Confirming);
        await using var reader = await connection.CreateChannelAsync();
        foreach (var i in new[] { 0, 2, 250, 498 })
        {
            await publisher.BasicPublishAsync("amq.topic", $"key.{i}", mandatory: false, Amqp.Transient(), TestMessages.Body(i, 50));
            var got = await Amqp.GetAsync(reader, Name(i), autoAck: true);
            context.Check(got?.Id == i, $"publishing to amq.topic with key.{i} did not reach {Name(i)}");
        }
    }

    private static void CheckSnapshot(ProcessTestContext context, HashSet<string> expected)
    {
        var path = Path.Combine(context.DataDirectory, "definitions.json");
        context.Check(File.Exists(path), "no definitions.json after two restarts");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        foreach (var key in new[] { "users", "vhosts", "permissions", "queues", "exchanges", "bindings" })
        {
            context.Check(root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Array, $"definitions.json has no '{key}' array");
        }

        var queues = root.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).ToHashSet();
        context.Check(queues.SetEquals(expected), $"definitions.json lists {queues.Count} queues, expected the {expected.Count} kept ones");
        var bindings = root.GetProperty("bindings").EnumerateArray()
            .Count(b => b.GetProperty("source").GetString() == "amq.topic" && b.GetProperty("destination_type").GetString() == "queue");
        context.Check(bindings == expected.Count, $"definitions.json lists {bindings} bindings from amq.topic, expected {expected.Count}");
        context.Check(root.GetProperty("vhosts").EnumerateArray().Any(v => v.GetProperty("name").GetString() == "/"), "definitions.json has no vhost '/'");
        context.Check(root.GetProperty("users").EnumerateArray().Any(u => u.GetProperty("name").GetString() == "guest"), "definitions.json has no user 'guest'");
    }
}
