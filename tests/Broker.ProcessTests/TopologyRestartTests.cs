using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// A graceful restart keeps the durable topology (exchanges of every type, exchange-to-exchange and
/// headers bindings, alternate exchanges, queue arguments) and persistent messages in durable queues,
/// and drops everything else: non-durable, exclusive and auto-deleted entities, deleted ones, removed
/// bindings, transient messages. Redeclaring with the same arguments still works; different ones give 406.
/// </summary>
public sealed class TopologyRestartTests(ITestOutputHelper output)
{
    private const ushort Ok = 200;
    private const ushort NotFound = 404;
    private const ushort PreconditionFailed = 406;

    private static readonly Dictionary<string, object?> HeadersAll = new() { ["x-match"] = "all", ["color"] = "red", ["size"] = 42 };
    private static readonly Dictionary<string, object?> HeadersAny = new() { ["x-match"] = "any", ["kind"] = "b", ["shape"] = "round" };
    private static readonly Dictionary<string, object?> WithAlternate = new() { ["alternate-exchange"] = "topo.ae" };
    private static readonly Dictionary<string, object?> Priority = new() { ["x-max-priority"] = 10 };
    private static readonly Dictionary<string, object?> Ttl = new() { ["x-message-ttl"] = 600_000 };
    private static readonly Dictionary<string, object?> MaxLength = new() { ["x-max-length"] = 2 };
    private static readonly Dictionary<string, object?> DeadLettering = new() { ["x-dead-letter-exchange"] = "topo.dlx", ["x-dead-letter-routing-key"] = "dead" };

    private static readonly string[] DurableExchanges = ["topo.direct", "topo.fanout", "topo.topic", "topo.headers", "topo.inner", "topo.ae", "topo.with-ae", "topo.dlx"];
    private static readonly string[] GoneExchanges = ["topo.transient-x", "topo.deleted-x", "topo.autodelete-x"];
    private static readonly string[] DurableQueues =
        ["topo.q.direct", "topo.q.fanout", "topo.q.topic", "topo.q.headers", "topo.q.inner", "topo.q.ae", "topo.q.priority", "topo.q.ttl", "topo.q.dlx-source", "topo.q.dead", "topo.q.mixed", "topo.q.max-length"];

    private static readonly string[] GoneQueues = ["topo.q.transient", "topo.q.exclusive", "topo.q.autodelete", "topo.q.autodelete-durable", "topo.q.deleted"];

    /// <summary>Publishes through each binding: (exchange, routing key, headers, queue it must reach or null if unroutable).</summary>
    private static readonly (string Exchange, string RoutingKey, Dictionary<string, object?>? Headers, string? Queue)[] Routes =
    [
        ("topo.direct", "rk.direct", null, "topo.q.direct"),
        ("topo.direct", "rk.none", null, null),
        ("topo.fanout", "anything", null, "topo.q.fanout"),
        ("topo.topic", "a.b.c", null, "topo.q.topic"),
        ("topo.topic", "a.b.c.d", null, null),
        ("topo.topic", "x.y", null, null),
        ("topo.headers", "", new() { ["color"] = "red", ["size"] = 42 }, "topo.q.headers"),
        ("topo.headers", "", new() { ["color"] = "red", ["size"] = 43 }, null),
        ("topo.headers", "", new() { ["kind"] = "b" }, "topo.q.headers"),
        ("topo.direct", "rk.inner", null, "topo.q.inner"),
        ("topo.with-ae", "unbound", null, "topo.q.ae"),
        ("topo.dlx", "dead", null, "topo.q.dead"),
        ("", "topo.q.ttl", null, "topo.q.ttl"),
    ];

    [Fact]
    public async Task Graceful_restart_keeps_the_durable_topology_and_persistent_messages_only()
    {
        using var context = new ProcessTestContext(output, "topology");
        await context.RunAsync(async () =>
        {
            var broker = await context.StartBrokerAsync();
            await using (var connection = await Amqp.ConnectAsync(broker, "topology"))
            {
                await DeclareAsync(connection);
                var before = await CheckRoutesAsync(connection);
                before.AddRange(await CheckLengthLimitAsync(connection));
                context.Check(before.Count == 0, "before the restart:\n  " + string.Join("\n  ", before));
                await PublishMessagesAsync(connection);

                // The connection with the exclusive queue and the auto-delete queue's consumer stays open
                // until the broker stops (320 CONNECTION_FORCED).
                await broker.StopGracefullyAsync();
            }

            var restarted = await context.StartBrokerAsync();
            context.Report($"recovered: {restarted.Recovered}; definitions: {new FileInfo(Path.Combine(context.DataDirectory, "definitions.json")).Length} bytes");
            await using (var connection = await Amqp.ConnectAsync(restarted, "after-restart"))
            {
                var problems = new List<string>();
                problems.AddRange(await CheckExistenceAsync(connection));
                problems.AddRange(await CheckMessagesAsync(connection));
                problems.AddRange(await CheckRoutesAsync(connection));
                problems.AddRange(await CheckLengthLimitAsync(connection));
                problems.AddRange(await CheckRedeclarationsAsync(connection));
                context.Check(problems.Count == 0, "after the restart:\n  " + string.Join("\n  ", problems));
            }

            await restarted.StopGracefullyAsync();
        });
    }

    private static async Task DeclareAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("topo.direct", ExchangeType.Direct, durable: true);
        await channel.ExchangeDeclareAsync("topo.fanout", ExchangeType.Fanout, durable: true);
        await channel.ExchangeDeclareAsync("topo.topic", ExchangeType.Topic, durable: true);
        await channel.ExchangeDeclareAsync("topo.headers", ExchangeType.Headers, durable: true);
        await channel.ExchangeDeclareAsync("topo.inner", ExchangeType.Fanout, durable: true);
        await channel.ExchangeDeclareAsync("topo.ae", ExchangeType.Fanout, durable: true);
        await channel.ExchangeDeclareAsync("topo.with-ae", ExchangeType.Direct, durable: true, autoDelete: false, arguments: WithAlternate);
        await channel.ExchangeDeclareAsync("topo.dlx", ExchangeType.Direct, durable: true);
        await channel.ExchangeDeclareAsync("topo.transient-x", ExchangeType.Direct, durable: false);
        await channel.ExchangeDeclareAsync("topo.deleted-x", ExchangeType.Direct, durable: true);
        await channel.ExchangeDeclareAsync("topo.autodelete-x", ExchangeType.Fanout, durable: true, autoDelete: true);

        foreach (var queue in DurableQueues)
        {
            var arguments = queue switch
            {
                "topo.q.priority" => Priority,
                "topo.q.ttl" => Ttl,
                "topo.q.dlx-source" => DeadLettering,
                "topo.q.max-length" => MaxLength,
                _ => null,
            };
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
        }

        await channel.QueueDeclareAsync("topo.q.transient", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueDeclareAsync("topo.q.exclusive", durable: true, exclusive: true, autoDelete: false);
        await channel.QueueDeclareAsync("topo.q.autodelete", durable: false, exclusive: false, autoDelete: true);
        await channel.QueueDeclareAsync("topo.q.autodelete-durable", durable: true, exclusive: false, autoDelete: true);
        await channel.QueueDeclareAsync("topo.q.deleted", durable: true, exclusive: false, autoDelete: false);

        await channel.QueueBindAsync("topo.q.direct", "topo.direct", "rk.direct");
        await channel.QueueBindAsync("topo.q.fanout", "topo.fanout", "");
        await channel.QueueBindAsync("topo.q.topic", "topo.topic", "a.*.c");
        await channel.QueueBindAsync("topo.q.topic", "topo.topic", "x.#");
        await channel.QueueBindAsync("topo.q.headers", "topo.headers", "", HeadersAll);
        await channel.QueueBindAsync("topo.q.headers", "topo.headers", "", HeadersAny);
        await channel.ExchangeBindAsync("topo.inner", "topo.direct", "rk.inner");
        await channel.QueueBindAsync("topo.q.inner", "topo.inner", "");
        await channel.QueueBindAsync("topo.q.ae", "topo.ae", "");
        await channel.QueueBindAsync("topo.q.dead", "topo.dlx", "dead");
        await channel.QueueBindAsync("topo.q.direct", "topo.transient-x", "t");
        await channel.QueueBindAsync("topo.q.direct", "topo.deleted-x", "d");
        await channel.QueueBindAsync("topo.q.fanout", "topo.autodelete-x", "");

        // Changes before the stop that the restart must keep: a removed binding, deleted entities,
        // an auto-delete exchange that lost its last binding, an auto-delete queue that lost its consumer.
        await channel.QueueUnbindAsync("topo.q.topic", "topo.topic", "x.#");
        await channel.ExchangeDeleteAsync("topo.deleted-x");
        await channel.QueueDeleteAsync("topo.q.deleted");
        await channel.QueueUnbindAsync("topo.q.fanout", "topo.autodelete-x", "");
        var gone = await connection.CreateChannelAsync();
        var tag = await gone.BasicConsumeAsync("topo.q.autodelete-durable", autoAck: true, new AsyncEventingBasicConsumer(gone));
        await gone.BasicCancelAsync(tag);
        await gone.CloseAsync();

        // Left open: the auto-delete queue's consumer (the queue goes with the connection).
        var staying = await connection.CreateChannelAsync();
        await staying.BasicConsumeAsync("topo.q.autodelete", autoAck: false, new AsyncEventingBasicConsumer(staying));
    }

    private static async Task PublishMessagesAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
        foreach (var (body, persistent) in new[] { ("p1", true), ("t1", false), ("p2", true), ("t2", false) })
        {
            await channel.BasicPublishAsync("", "topo.q.mixed", mandatory: false, persistent ? Amqp.Persistent() : Amqp.Transient(), System.Text.Encoding.UTF8.GetBytes(body));
        }

        foreach (var priority in new byte[] { 1, 9, 5, 0 })
        {
            var properties = Amqp.Persistent();
            properties.Priority = priority;
            await channel.BasicPublishAsync("", "topo.q.priority", mandatory: false, properties, System.Text.Encoding.UTF8.GetBytes($"priority-{priority}"));
        }

        await channel.BasicPublishAsync("", "topo.q.ttl", mandatory: false, Amqp.Persistent(), "ttl-1"u8.ToArray());
        await channel.BasicPublishAsync("", "topo.q.dlx-source", mandatory: false, Amqp.Persistent(), "dead-letter-me"u8.ToArray());
        await channel.BasicPublishAsync("", "topo.q.transient", mandatory: false, Amqp.Persistent(), "in-a-transient-queue"u8.ToArray());
        await channel.BasicPublishAsync("", "topo.q.exclusive", mandatory: false, Amqp.Persistent(), "in-an-exclusive-queue"u8.ToArray());
    }

    private static async Task<List<string>> CheckExistenceAsync(IConnection connection)
    {
        var problems = new List<string>();
        foreach (var exchange in DurableExchanges)
        {
            var code = await ReplyCodeAsync(connection, channel => channel.ExchangeDeclarePassiveAsync(exchange));
            if (code != Ok)
            {
                problems.Add($"durable exchange {exchange}: passive declare gave {code}");
            }
        }

        foreach (var exchange in GoneExchanges)
        {
            var code = await ReplyCodeAsync(connection, channel => channel.ExchangeDeclarePassiveAsync(exchange));
            if (code != NotFound)
            {
                problems.Add($"exchange {exchange} should be gone: passive declare gave {code}");
            }
        }

        foreach (var queue in DurableQueues)
        {
            var code = await ReplyCodeAsync(connection, channel => channel.QueueDeclarePassiveAsync(queue));
            if (code != Ok)
            {
                problems.Add($"durable queue {queue}: passive declare gave {code}");
            }
        }

        foreach (var queue in GoneQueues)
        {
            var code = await ReplyCodeAsync(connection, channel => channel.QueueDeclarePassiveAsync(queue));
            if (code != NotFound)
            {
                problems.Add($"queue {queue} should be gone: passive declare gave {code}");
            }
        }

        return problems;
    }

    private static async Task<List<string>> CheckMessagesAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync();
        var problems = new List<string>();
        var mixed = await GetAllAsync(channel, "topo.q.mixed");
        if (!mixed.Select(d => d.Text).SequenceEqual(["p1", "p2"]))
        {
            problems.Add($"topo.q.mixed holds [{string.Join(", ", mixed.Select(d => d.Text))}], expected the persistent [p1, p2] only");
        }

        var priorities = await GetAllAsync(channel, "topo.q.priority");
        if (!priorities.Select(d => d.Text).SequenceEqual(["priority-9", "priority-5", "priority-1", "priority-0"]))
        {
            problems.Add($"topo.q.priority gives [{string.Join(", ", priorities.Select(d => d.Text))}], expected highest priority first: 9, 5, 1, 0");
        }

        // Still a priority queue for messages published after the restart.
        await using (var publisher = await connection.CreateChannelAsync(Amqp.Confirming))
        {
            foreach (var priority in new byte[] { 2, 8 })
            {
                var properties = Amqp.Transient();
                properties.Priority = priority;
                await publisher.BasicPublishAsync("", "topo.q.priority", mandatory: false, properties, System.Text.Encoding.UTF8.GetBytes($"new-priority-{priority}"));
            }
        }

        var fresh = await GetAllAsync(channel, "topo.q.priority");
        if (!fresh.Select(d => d.Text).SequenceEqual(["new-priority-8", "new-priority-2"]))
        {
            problems.Add($"topo.q.priority gives [{string.Join(", ", fresh.Select(d => d.Text))}] for messages published after the restart, expected [new-priority-8, new-priority-2]");
        }

        var ttl = await GetAllAsync(channel, "topo.q.ttl");
        if (!ttl.Select(d => d.Text).SequenceEqual(["ttl-1"]))
        {
            problems.Add($"topo.q.ttl (x-message-ttl 600000) holds [{string.Join(", ", ttl.Select(d => d.Text))}], expected [ttl-1]");
        }

        // The dead-letter arguments still apply: a rejected message goes to topo.dlx with key "dead".
        var toReject = await Amqp.GetAsync(channel, "topo.q.dlx-source");
        if (toReject?.Text != "dead-letter-me")
        {
            problems.Add($"topo.q.dlx-source holds {(toReject is null ? "nothing" : toReject.Text)}, expected dead-letter-me");
        }
        else
        {
            await channel.BasicRejectAsync(toReject.DeliveryTag, requeue: false);
            var dead = await WaitForMessageAsync(channel, "topo.q.dead");
            if (dead?.Text != "dead-letter-me")
            {
                problems.Add($"rejecting from topo.q.dlx-source put {(dead is null ? "nothing" : dead.Text)} into topo.q.dead, expected dead-letter-me");
            }
        }

        foreach (var queue in new[] { "topo.q.direct", "topo.q.fanout", "topo.q.topic", "topo.q.headers", "topo.q.inner", "topo.q.ae", "topo.q.dead", "topo.q.dlx-source" })
        {
            var count = await Amqp.MessageCountAsync(channel, queue);
            if (count != 0)
            {
                problems.Add($"{queue} holds {count} messages, expected none");
            }
        }

        return problems;
    }

    /// <summary>Publishes (transient, mandatory, confirmed) through every route and checks where each message went.</summary>
    private static async Task<List<string>> CheckRoutesAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
        var returned = 0;
        channel.BasicReturnAsync += (_, _) =>
        {
            Interlocked.Increment(ref returned);
            return Task.CompletedTask;
        };
        await using var reader = await connection.CreateChannelAsync();
        var problems = new List<string>();
        var index = 0;
        foreach (var (exchange, routingKey, headers, queue) in Routes)
        {
            var body = $"route-{index++}-{exchange}-{routingKey}";
            var properties = Amqp.Transient();
            if (headers is not null)
            {
                properties.Headers = new Dictionary<string, object?>(headers);
            }

            var returnsBefore = Volatile.Read(ref returned);
            var wasReturned = false;
            try
            {
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, System.Text.Encoding.UTF8.GetBytes(body));
            }
            catch (PublishException ex) when (ex.IsReturn)
            {
                wasReturned = true;
            }

            wasReturned |= Volatile.Read(ref returned) > returnsBefore;
            var route = $"{(exchange.Length == 0 ? "(default)" : exchange)} '{routingKey}'{(headers is null ? "" : " " + string.Join(",", headers.Select(h => $"{h.Key}={h.Value}")))}";
            if (queue is null)
            {
                if (!wasReturned)
                {
                    problems.Add($"route {route} should be unroutable (basic.return) but was routed");
                }

                continue;
            }

            var got = await Amqp.GetAsync(reader, queue, autoAck: true);
            if (wasReturned || got?.Text != body)
            {
                problems.Add($"route {route} should reach {queue}: returned={wasReturned}, {queue} gave {(got is null ? "nothing" : got.Text)}");
            }
        }

        return problems;
    }

    /// <summary>x-max-length 2 (drop-head): after five publishes the queue holds the last two.</summary>
    private static async Task<List<string>> CheckLengthLimitAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync(Amqp.Confirming);
        for (var i = 1; i <= 5; i++)
        {
            await channel.BasicPublishAsync("", "topo.q.max-length", mandatory: false, Amqp.Transient(), System.Text.Encoding.UTF8.GetBytes($"limited-{i}"));
        }

        var held = await GetAllAsync(channel, "topo.q.max-length");
        return held.Select(d => d.Text).SequenceEqual(["limited-4", "limited-5"])
            ? []
            : [$"topo.q.max-length (x-max-length 2) holds [{string.Join(", ", held.Select(d => d.Text))}] after 5 publishes, expected [limited-4, limited-5]"];
    }

    private static async Task<List<string>> CheckRedeclarationsAsync(IConnection connection)
    {
        var cases = new (string What, ushort Expected, Func<IChannel, Task> Declare)[]
        {
            ("queue with x-max-priority 10 (int)", Ok, c => c.QueueDeclareAsync("topo.q.priority", true, false, false, Priority)),
            ("queue with x-max-priority 10 (long)", Ok, c => c.QueueDeclareAsync("topo.q.priority", true, false, false, new Dictionary<string, object?> { ["x-max-priority"] = 10L })),
            ("queue with x-max-priority 10 (byte)", Ok, c => c.QueueDeclareAsync("topo.q.priority", true, false, false, new Dictionary<string, object?> { ["x-max-priority"] = (byte)10 })),
            ("queue with x-max-priority 5", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.priority", true, false, false, new Dictionary<string, object?> { ["x-max-priority"] = 5 })),
            ("queue without its x-max-priority", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.priority", true, false, false, null)),
            ("queue with x-message-ttl 600000", Ok, c => c.QueueDeclareAsync("topo.q.ttl", true, false, false, Ttl)),
            ("queue with x-message-ttl 600000 (long)", Ok, c => c.QueueDeclareAsync("topo.q.ttl", true, false, false, new Dictionary<string, object?> { ["x-message-ttl"] = 600_000L })),
            ("queue with x-message-ttl 1000", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.ttl", true, false, false, new Dictionary<string, object?> { ["x-message-ttl"] = 1000 })),
            ("queue with the same dead-letter arguments", Ok, c => c.QueueDeclareAsync("topo.q.dlx-source", true, false, false, DeadLettering)),
            ("queue with another x-dead-letter-exchange", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.dlx-source", true, false, false, new Dictionary<string, object?> { ["x-dead-letter-exchange"] = "other", ["x-dead-letter-routing-key"] = "dead" })),
            ("durable queue redeclared non-durable", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.mixed", false, false, false, null)),
            ("durable queue redeclared auto-delete", PreconditionFailed, c => c.QueueDeclareAsync("topo.q.mixed", true, false, true, null)),
            ("queue with x-max-length 2", Ok, c => c.QueueDeclareAsync("topo.q.max-length", true, false, false, MaxLength)),
            ("plain durable queue", Ok, c => c.QueueDeclareAsync("topo.q.mixed", true, false, false, null)),
            ("exchange with the same alternate-exchange", Ok, c => c.ExchangeDeclareAsync("topo.with-ae", ExchangeType.Direct, true, false, WithAlternate)),
            ("exchange with another alternate-exchange", PreconditionFailed, c => c.ExchangeDeclareAsync("topo.with-ae", ExchangeType.Direct, true, false, new Dictionary<string, object?> { ["alternate-exchange"] = "topo.fanout" })),
            ("direct exchange redeclared as fanout", PreconditionFailed, c => c.ExchangeDeclareAsync("topo.direct", ExchangeType.Fanout, true, false, null)),
            ("durable exchange redeclared non-durable", PreconditionFailed, c => c.ExchangeDeclareAsync("topo.topic", ExchangeType.Topic, false, false, null)),
            ("headers exchange, same declaration", Ok, c => c.ExchangeDeclareAsync("topo.headers", ExchangeType.Headers, true, false, null)),
        };
        var problems = new List<string>();
        foreach (var (what, expected, declare) in cases)
        {
            var code = await ReplyCodeAsync(connection, declare);
            if (code != expected)
            {
                problems.Add($"redeclaring {what}: got {code}, expected {expected}");
            }
        }

        return problems;
    }

    /// <summary>Runs an operation on a fresh channel: 200 if it succeeds, else the channel's close code (404, 406...).</summary>
    private static async Task<ushort> ReplyCodeAsync(IConnection connection, Func<IChannel, Task> operation)
    {
        var channel = await connection.CreateChannelAsync();
        try
        {
            await operation(channel);
            return Ok;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason is not null)
        {
            return ex.ShutdownReason.ReplyCode;
        }
        finally
        {
            channel.Dispose();
        }
    }

    private static async Task<List<Delivery>> GetAllAsync(IChannel channel, string queue)
    {
        var list = new List<Delivery>();
        while (await Amqp.GetAsync(channel, queue, autoAck: true) is { } delivery)
        {
            list.Add(delivery);
        }

        return list;
    }

    private static async Task<Delivery?> WaitForMessageAsync(IChannel channel, string queue)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await Amqp.GetAsync(channel, queue, autoAck: true) is { } delivery)
            {
                return delivery;
            }

            await Task.Delay(50);
        }

        return null;
    }
}
