namespace Broker.InteropTests;

/// <summary>kombu 5.2 over py-amqp 5.1 (python3-kombu, python3-amqp): clients/python/kombu_scenarios.py.</summary>
public sealed class KombuTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Fact]
    public Task Producer_and_consumer_through_a_direct_exchange() => RunAsync("direct");

    [Fact]
    public Task Fanout_exchange_delivers_to_every_queue() => RunAsync("fanout");

    [Fact]
    public Task SimpleQueue_put_get_requeue_clear() => RunAsync("simple_queue");

    [Fact]
    public Task Queue_arguments_are_declared_and_checked_for_equivalence() => RunAsync("queue_arguments");

    [Fact]
    public Task Queue_with_x_expires_is_deleted_when_unused() => RunAsync("queue_expires");

    [Fact]
    public Task Message_ttl_and_per_message_expiration() => RunAsync("message_ttl");

    [Fact]
    public Task Priority_queue_delivers_higher_priorities_first() => RunAsync("priority");

    [Fact]
    public Task Reject_with_requeue_redelivers_and_without_drops() => RunAsync("reject_requeue");

    private async Task RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var directory = Path.Combine(ClientRunner.ClientsDirectory, "python");
        await ClientRunner.AssertScenarioPassesAsync(
            output, "kombu", scenario, ClientRunner.Python,
            [Path.Combine(directory, "kombu_scenarios.py"), fixture.Uri.ToString(), scenario], directory, timeout);

        // A failure the broker logged while the client ran fails the scenario too.
        fixture.ThrowIfBrokerErrors($"{GetType().Name} {scenario}");
    }
}
