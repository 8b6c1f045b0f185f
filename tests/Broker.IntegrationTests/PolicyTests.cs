using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;

namespace Broker.IntegrationTests;

/// <summary>
/// Policies and operator policies seen from AMQP: what they do to the queues and exchanges they match,
/// combined with the queues' own arguments as RabbitMQ 3.10 combines them. The embedded broker gets the
/// policies from a definitions file, RabbitMQ through its management API (see <see cref="PolicyFixture"/>).
/// </summary>
public sealed class PolicyTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>, IAsyncLifetime
{
    private static readonly CreateChannelOptions Confirming = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private readonly List<string> _queues = [];
    private readonly List<string> _exchanges = [];
    private IConnection _connection = null!;
    private IChannel _channel = null!;

    private string P => fixture.Prefix;

    public async Task InitializeAsync()
    {
        _connection = await fixture.ConnectAsync();
        _channel = await _connection.CreateChannelAsync(Confirming);
    }

    public async Task DisposeAsync()
    {
        await using (var cleanup = await _connection.CreateChannelAsync())
        {
            foreach (var queue in _queues)
            {
                await cleanup.QueueDeleteAsync(queue);
            }

            foreach (var exchange in _exchanges)
            {
                await cleanup.ExchangeDeleteAsync(exchange);
            }
        }

        await _connection.CloseAsync();
        fixture.ThrowIfBrokerErrors(nameof(PolicyTests));
    }

    private async Task<string> QueueAsync(string name, Dictionary<string, object?>? arguments = null, bool durable = false)
    {
        _queues.Add(name);
        await _channel.QueueDeclareAsync(name, durable, exclusive: false, autoDelete: false, arguments);
        return name;
    }

    private async Task PublishAsync(string exchange, string routingKey, params string[] bodies)
    {
        foreach (var body in bodies)
        {
            await _channel.BasicPublishAsync(exchange, routingKey, mandatory: false, new BasicProperties(), Amqp.Body(body));
        }
    }

    private async Task<List<(string Body, IReadOnlyBasicProperties Properties)>> GetAllAsync(string queue)
    {
        var got = new List<(string, IReadOnlyBasicProperties)>();
        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } result)
        {
            got.Add((Amqp.Text(result.Body), result.BasicProperties));
        }

        return got;
    }

    [Fact]
    public async Task A_max_length_policy_drops_the_oldest_into_the_policys_dead_letter_target()
    {
        var dead = await QueueAsync($"{P}dead");
        var queue = await QueueAsync($"{P}limit-a");

        await PublishAsync("", queue, "m1", "m2", "m3");

        Assert.Equal(["m2", "m3"], (await GetAllAsync(queue)).Select(m => m.Body));
        var dropped = Assert.Single(await GetAllAsync(dead));
        Assert.Equal("m1", dropped.Body);
        Assert.Equal("maxlen", dropped.Properties.HeaderText("x-first-death-reason"));
    }

    [Fact]
    public async Task A_classic_queue_keeps_the_smaller_of_its_own_max_length_and_the_policys()
    {
        var larger = await QueueAsync($"{P}limit-b", new() { ["x-max-length"] = 5 });
        var smaller = await QueueAsync($"{P}limit-c", new() { ["x-max-length"] = 1 });

        await PublishAsync("", larger, [.. Enumerable.Range(0, 10).Select(i => $"m{i}")]);
        await PublishAsync("", smaller, [.. Enumerable.Range(0, 10).Select(i => $"m{i}")]);

        Assert.Equal(["m8", "m9"], (await GetAllAsync(larger)).Select(m => m.Body));
        Assert.Equal(["m9"], (await GetAllAsync(smaller)).Select(m => m.Body));
    }

    [Fact]
    public async Task A_quorum_queue_takes_the_policys_overflow_over_its_own()
    {
        // x-overflow reject-publish would nack publishes 6 to 10; the policy's drop-head wins on a quorum
        // queue (it would not on a classic queue), so every publish is confirmed and the newest stay.
        var queue = await QueueAsync($"{P}qq-a", new() { ["x-queue-type"] = "quorum", ["x-overflow"] = "reject-publish", ["x-max-length"] = 5 }, durable: true);

        await PublishAsync("", queue, [.. Enumerable.Range(0, 10).Select(i => $"m{i}")]);

        Assert.Equal(["m7", "m8", "m9"], (await GetAllAsync(queue)).Select(m => m.Body));
    }

    [Fact]
    public async Task An_operator_policy_caps_what_the_policy_allows()
    {
        var queue = await QueueAsync($"{P}cap-a");

        await PublishAsync("", queue, "m1", "m2", "m3");

        Assert.Equal(["m3"], (await GetAllAsync(queue)).Select(m => m.Body));
    }

    [Fact]
    public async Task A_message_ttl_policy_expires_messages_into_its_dead_letter_target()
    {
        var expired = await QueueAsync($"{P}expired");
        var queue = await QueueAsync($"{P}ttl-a");

        await PublishAsync("", queue, "short-lived");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        List<(string Body, IReadOnlyBasicProperties Properties)> got = [];
        while (got.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            got = await GetAllAsync(expired);
        }

        var message = Assert.Single(got);
        Assert.Equal("short-lived", message.Body);
        Assert.Equal("expired", message.Properties.HeaderText("x-first-death-reason"));
        Assert.Empty(await GetAllAsync(queue));
    }

    [Fact]
    public async Task An_alternate_exchange_policy_takes_what_the_exchange_cannot_route()
    {
        var fallback = $"{P}ae-fallback";
        var exchange = $"{P}ae-x";
        _exchanges.AddRange([fallback, exchange]);
        await _channel.ExchangeDeclareAsync(fallback, ExchangeType.Fanout);
        await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Direct);
        var unrouted = await QueueAsync($"{P}ae-unrouted");
        await _channel.QueueBindAsync(unrouted, fallback, "");

        await PublishAsync(exchange, "nowhere", "lost?");

        Assert.Equal(["lost?"], (await GetAllAsync(unrouted)).Select(m => m.Body));
    }

    [Fact]
    public async Task Mirroring_keys_are_accepted_and_the_rest_of_the_policy_applies_to_classic_queues()
    {
        // One node: ha-mode mirrors nothing. A quorum queue does not take a policy holding ha-* keys at all.
        var classic = await QueueAsync($"{P}ha-classic");
        var quorum = await QueueAsync($"{P}ha-quorum", new() { ["x-queue-type"] = "quorum" }, durable: true);

        await PublishAsync("", classic, "m1", "m2");
        await PublishAsync("", quorum, "m1", "m2");

        Assert.Equal(["m2"], (await GetAllAsync(classic)).Select(m => m.Body));
        Assert.Equal(["m1", "m2"], (await GetAllAsync(quorum)).Select(m => m.Body));
    }
}
