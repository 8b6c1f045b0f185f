using System.Text;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>
/// Policies set and cleared over HTTP, seen through AMQP and in the queues' and exchanges' policy fields:
/// they take effect on live queues at once, a message TTL is fixed when a message is enqueued, operator
/// policies cap (the smaller limit wins), the highest priority policy applies alone.
/// </summary>
public sealed class PolicyEffectTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task A_queue_without_policies_shows_null_names_and_an_empty_effective_definition()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await DeclareExchangeAsync(virtualHost, "x", "fanout");

        var queue = await EventuallyAsync(Path("queues", virtualHost, "q"), q => q["state"] is not null, "the queue's statistics are in");
        var exchange = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "x"));

        Assert.True(queue.AsObject().TryGetPropertyValue("policy", out var policy) && policy is null, queue.ToJsonString());
        Assert.True(queue.AsObject().TryGetPropertyValue("operator_policy", out var operatorPolicy) && operatorPolicy is null, queue.ToJsonString());
        Assert.Empty(queue["effective_policy_definition"]!.AsObject());

        // RabbitMQ writes an exchange's policy only when one applies.
        Assert.False(exchange.AsObject().ContainsKey("policy"), exchange.ToJsonString());
    }

    [Fact]
    public async Task A_max_length_policy_set_on_a_queue_holding_messages_dead_letters_the_oldest_at_once_and_clearing_it_stops()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        await DeadLetterTargetAsync(channel);
        await channel.QueueDeclareAsync("limited", durable: false, exclusive: false, autoDelete: false);
        await PublishAsync(connection, "limited", "m1", "m2", "m3", "m4", "m5");

        await SetPolicyAsync(virtualHost, "cap", "^limited$", new JsonObject { ["max-length"] = 2, ["dead-letter-exchange"] = "dlx" }, applyTo: "queues");
        await EventuallyAsync(async () => (await channel.QueueDeclarePassiveAsync("limited")).MessageCount == 2, "the queue is cut to 2 messages");
        await EventuallyAsync(async () => (await channel.QueueDeclarePassiveAsync("dead")).MessageCount == 3, "3 messages are dead-lettered");

        var dead = await GetAllAsync(channel, "dead");
        Assert.Equal(["m1", "m2", "m3"], dead.Select(m => m.Body));
        Assert.All(dead, m => Assert.Equal("maxlen", Header(m.Properties, "x-first-death-reason")));

        (await Admin.DeleteAsync(Path("policies", virtualHost, "cap"))).AssertStatus(204);
        await EventuallyAsync(Path("queues", virtualHost, "limited"), q => q["policy"] is null, "the queue shows no policy");
        await PublishAsync(connection, "limited", "m6", "m7");

        Assert.Equal(["m4", "m5", "m6", "m7"], (await GetAllAsync(channel, "limited")).Select(m => m.Body));
        Assert.Empty(await GetAllAsync(channel, "dead"));
    }

    [Fact]
    public async Task A_message_ttl_policy_applies_to_messages_enqueued_after_it_and_expired_ones_are_dead_lettered()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        await DeadLetterTargetAsync(channel);
        await channel.QueueDeclareAsync("timed", durable: false, exclusive: false, autoDelete: false);
        await PublishAsync(connection, "timed", "before");

        await SetPolicyAsync(virtualHost, "ttl", "^timed$", new JsonObject { ["message-ttl"] = 200, ["dead-letter-exchange"] = "dlx" }, applyTo: "queues");
        await EventuallyAsync(Path("queues", virtualHost, "timed"), q => q["policy"]?.GetValue<string>() == "ttl", "the queue shows the policy");
        await PublishAsync(connection, "timed", "after");
        await Task.Delay(800);

        // "before" was enqueued without a TTL and keeps none; "after" expired behind it and goes once it is at the head.
        Assert.Equal("before", await GetOneAsync(channel, "timed"));
        Assert.Null(await GetOneAsync(channel, "timed"));
        await EventuallyAsync(async () => (await channel.QueueDeclarePassiveAsync("dead")).MessageCount == 1, "the expired message is dead-lettered");
        var expired = Assert.Single(await GetAllAsync(channel, "dead"));
        Assert.Equal("after", expired.Body);
        Assert.Equal("expired", Header(expired.Properties, "x-first-death-reason"));

        (await Admin.DeleteAsync(Path("policies", virtualHost, "ttl"))).AssertStatus(204);
        await EventuallyAsync(Path("queues", virtualHost, "timed"), q => q["policy"] is null, "the queue shows no policy");
        await PublishAsync(connection, "timed", "untimed");
        await Task.Delay(500);

        Assert.Equal("untimed", await GetOneAsync(channel, "timed"));
        Assert.Empty(await GetAllAsync(channel, "dead"));
    }

    [Fact]
    public async Task An_operator_policy_caps_the_policys_limits_in_the_effective_definition_and_in_effect()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "capped");
        await SetPolicyAsync(virtualHost, "user", "^capped$", new JsonObject { ["max-length"] = 10, ["message-ttl"] = 60000, ["dead-letter-exchange"] = "dlx" }, applyTo: "queues");
        await SetPolicyAsync(virtualHost, "operator", "^capp", new JsonObject { ["max-length"] = 3, ["message-ttl"] = 120000, ["expires"] = 3_600_000 }, applyTo: "queues", operatorPolicy: true);

        var expected = JsonNode.Parse("""{"dead-letter-exchange":"dlx","expires":3600000,"max-length":3,"message-ttl":60000}""");
        var queue = await EventuallyAsync(
            Path("queues", virtualHost, "capped"),
            q => JsonNode.DeepEquals(expected, q["effective_policy_definition"]),
            "the effective definition takes the smaller of each limit and the keys of both");
        Assert.Equal("user", queue["policy"]!.GetValue<string>());
        Assert.Equal("operator", queue["operator_policy"]!.GetValue<string>());

        var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        await PublishAsync(connection, "capped", "m1", "m2", "m3", "m4", "m5");
        Assert.Equal(["m3", "m4", "m5"], (await GetAllAsync(channel, "capped")).Select(m => m.Body));

        (await Admin.DeleteAsync(Path("operator-policies", virtualHost, "operator"))).AssertStatus(204);
        await EventuallyAsync(
            Path("queues", virtualHost, "capped"),
            q => q["operator_policy"] is null && q["effective_policy_definition"]?["max-length"]?.GetValue<int>() == 10,
            "without the operator policy the policy's limit applies");
    }

    [Fact]
    public async Task An_operator_policy_with_a_key_classic_queues_do_not_support_does_not_apply_to_them()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "classic");
        await SetPolicyAsync(virtualHost, "operator", "^classic$", new JsonObject { ["max-length"] = 3, ["delivery-limit"] = 2 }, applyTo: "queues", operatorPolicy: true);
        await SetPolicyAsync(virtualHost, "marker", "^classic$", new JsonObject { ["max-length"] = 10 }, applyTo: "queues");

        var queue = await EventuallyAsync(Path("queues", virtualHost, "classic"), q => q["policy"]?.GetValue<string>() == "marker", "the queue takes the policy");

        Assert.Null(queue["operator_policy"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"max-length":10}"""), queue["effective_policy_definition"]), queue["effective_policy_definition"]!.ToJsonString());
    }

    [Fact]
    public async Task Of_two_matching_policies_the_higher_priority_applies_alone_and_changing_priorities_switches()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "contested");
        await SetPolicyAsync(virtualHost, "low", "^cont", new JsonObject { ["max-length"] = 5, ["message-ttl"] = 60000 }, applyTo: "queues", priority: 1);
        await SetPolicyAsync(virtualHost, "high", "^contested$", new JsonObject { ["max-length"] = 1 }, applyTo: "queues", priority: 2);

        // Policies do not merge: the low one's message-ttl is not in force.
        await EventuallyAsync(
            Path("queues", virtualHost, "contested"),
            q => q["policy"]?.GetValue<string>() == "high" && JsonNode.DeepEquals(JsonNode.Parse("""{"max-length":1}"""), q["effective_policy_definition"]),
            "the higher priority policy applies alone");
        var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync();
        await PublishAsync(connection, "contested", "m1", "m2", "m3");
        Assert.Equal(["m3"], (await GetAllAsync(channel, "contested")).Select(m => m.Body));

        await SetPolicyAsync(virtualHost, "low", "^cont", new JsonObject { ["max-length"] = 5, ["message-ttl"] = 60000 }, applyTo: "queues", priority: 3);
        await EventuallyAsync(
            Path("queues", virtualHost, "contested"),
            q => q["policy"]?.GetValue<string>() == "low" && JsonNode.DeepEquals(JsonNode.Parse("""{"max-length":5,"message-ttl":60000}"""), q["effective_policy_definition"]),
            "raising the other policy's priority makes it the one in force");
        await PublishAsync(connection, "contested", "m4", "m5", "m6");
        Assert.Equal(["m4", "m5", "m6"], (await GetAllAsync(channel, "contested")).Select(m => m.Body));
    }

    [Fact]
    public async Task A_policy_applies_only_to_the_kind_of_object_it_names()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "same");
        await DeclareExchangeAsync(virtualHost, "same", "fanout");
        await SetPolicyAsync(virtualHost, "for-exchanges", "^same$", new JsonObject { ["alternate-exchange"] = "ae" }, applyTo: "exchanges", priority: 5);
        await SetPolicyAsync(virtualHost, "for-queues", "^same$", new JsonObject { ["max-length"] = 1 }, applyTo: "queues");

        await EventuallyAsync(Path("queues", virtualHost, "same"), q => q["policy"]?.GetValue<string>() == "for-queues", "the queue takes the queue policy");
        var exchange = await Admin.GetJsonAsync(Path("exchanges", virtualHost, "same"));

        Assert.Equal("for-exchanges", exchange["policy"]!.GetValue<string>());
        var exchanges = (await Admin.GetJsonAsync($"{Path("exchanges", virtualHost)}?columns=name,policy")).AsArray();
        Assert.Contains(exchanges, e => JsonNode.DeepEquals(JsonNode.Parse("""{"name":"same","policy":"for-exchanges"}"""), e));
    }

    [Fact]
    public async Task An_alternate_exchange_policy_routes_what_the_exchange_cannot_and_clearing_it_stops()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "source", "direct");
        await DeclareExchangeAsync(virtualHost, "fallback", "fanout");
        await DeclareQueueAsync(virtualHost, "unroutable");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "fallback", "q", "unroutable"), "{}")).AssertStatus(201);
        await SetPolicyAsync(virtualHost, "ae", "^source$", new JsonObject { ["alternate-exchange"] = "fallback" }, applyTo: "exchanges");
        var connection = await ConnectAsync(virtualHost);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        await channel.BasicPublishAsync("source", "nowhere", Encoding.UTF8.GetBytes("rescued"));
        Assert.Equal("ae", (await Admin.GetJsonAsync(Path("exchanges", virtualHost, "source")))["policy"]!.GetValue<string>());
        Assert.Equal(["rescued"], (await GetAllAsync(channel, "unroutable")).Select(m => m.Body));

        (await Admin.DeleteAsync(Path("policies", virtualHost, "ae"))).AssertStatus(204);
        await channel.BasicPublishAsync("source", "nowhere", Encoding.UTF8.GetBytes("lost"));

        Assert.Empty(await GetAllAsync(channel, "unroutable"));
        Assert.False((await Admin.GetJsonAsync(Path("exchanges", virtualHost, "source"))).AsObject().ContainsKey("policy"));
    }

    /// <summary>The dead-letter target the tests' policies name: exchange "dlx" (fanout) into queue "dead".</summary>
    private static async Task DeadLetterTargetAsync(IChannel channel)
    {
        await channel.ExchangeDeclareAsync("dlx", ExchangeType.Fanout);
        await channel.QueueDeclareAsync("dead", durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync("dead", "dlx", string.Empty);
    }

    private static async Task<string?> GetOneAsync(IChannel channel, string queue) =>
        await channel.BasicGetAsync(queue, autoAck: true) is { } result ? Encoding.UTF8.GetString(result.Body.Span) : null;

    private static async Task<List<(string Body, IReadOnlyBasicProperties Properties)>> GetAllAsync(IChannel channel, string queue)
    {
        List<(string, IReadOnlyBasicProperties)> got = [];
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
        {
            got.Add((Encoding.UTF8.GetString(result.Body.Span), result.BasicProperties));
        }

        return got;
    }

    private static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
}
