using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client.Events;

namespace Broker.IntegrationTests;

/// <summary>
/// Classic-queue arguments that RabbitMQ 3.13 still accepts though they change nothing for us (lazy
/// mode, the index version, the mirrored-queue master locator), and transient non-exclusive queues
/// (refused only from RabbitMQ 4.3). Values and texts as RabbitMQ 3.10.8 answers them; 3.13's checks
/// (rabbit_amqqueue:check_queue_mode, check_queue_version; rabbit_queue_master_location_misc) are the same.
/// </summary>
public sealed class ClassicQueueArgumentTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private async Task DeclareAsync(string name, string key, object? value, bool durable = false, bool exclusive = false) =>
        await Channel.QueueDeclareAsync(name, durable, exclusive, autoDelete: false, new Dictionary<string, object?> { [key] = value });

    private Task<ShutdownEventArgs> RefusedAsync(string key, object? value, string explanation)
    {
        var name = QueueName();
        return Channel.AssertChannelErrorAsync(
            406,
            $"PRECONDITION_FAILED - invalid arg '{key}' for queue '{name}' in vhost '/': {explanation}",
            () => DeclareAsync(name, key, value));
    }

    [Fact]
    public async Task A_transient_non_exclusive_queue_is_declared_and_used()
    {
        var name = QueueName();

        await Channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false);
        await Channel.PublishAsync("", name, "m");

        Assert.Equal("m", Amqp.Text((await Channel.GetRequiredAsync(name, autoAck: true)).Body));
    }

    [Theory]
    [InlineData("x-queue-mode", "lazy")]
    [InlineData("x-queue-mode", "default")]
    [InlineData("x-queue-version", 1)]
    [InlineData("x-queue-version", 2)]
    [InlineData("x-queue-master-locator", "min-masters")]
    [InlineData("x-queue-master-locator", "client-local")]
    [InlineData("x-queue-master-locator", "random")]
    public async Task Accepted_values_declare_a_queue_that_works(string key, object value)
    {
        var name = QueueName();

        await DeclareAsync(name, key, value, durable: true);
        await DeclareAsync(name, key, value, durable: true);
        await SendAsync("", name, "m");

        Assert.Equal(1u, await Channel.ReadyCountAsync(name));
    }

    [Fact]
    public Task An_unknown_queue_mode_is_refused() =>
        RefusedAsync("x-queue-mode", "bogus", "\"unsupported queue mode 'bogus'\"");

    [Fact]
    public Task A_queue_mode_that_is_not_a_string_is_refused() =>
        RefusedAsync("x-queue-mode", 5, "{unacceptable_type,signedint}");

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public Task An_unknown_queue_version_is_refused(int version) =>
        RefusedAsync("x-queue-version", version, $"\"unsupported queue version '{version}'\"");

    [Fact]
    public Task A_queue_version_that_is_not_an_integer_is_refused() =>
        RefusedAsync("x-queue-version", "2", "\"expected integer, got longstr\"");

    [Fact]
    public async Task An_unknown_master_locator_closes_the_connection_with_541()
    {
        // RabbitMQ's classic queue looks the locator up only when placing a non-exclusive queue, and
        // crashes on a value it does not know (rabbit_queue_master_location_misc:get_location).
        var name = QueueName();

        await Connection.AssertConnectionErrorAsync(541, "INTERNAL_ERROR", () => DeclareAsync(name, "x-queue-master-locator", "bogus", durable: true));
    }

    [Fact]
    public async Task An_exclusive_queue_ignores_the_master_locator()
    {
        var name = QueueName();

        await DeclareAsync(name, "x-queue-master-locator", "bogus", exclusive: true);

        Assert.Equal(0u, await Channel.ReadyCountAsync(name));
    }
}
