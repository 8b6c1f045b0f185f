namespace Broker.InteropTests;

/// <summary>amqp-tools 0.11 (librabbitmq-c command-line tools): clients/shell/amqp_tools_scenarios.sh.</summary>
public sealed class AmqpToolsTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Fact]
    public Task Declare_queue_publish_and_get() => RunAsync("declare_publish_get");

    [Fact]
    public Task Consume_with_a_count() => RunAsync("consume_count");

    [Fact]
    public Task Consume_from_an_exclusive_queue_bound_to_amq_topic() => RunAsync("consume_exchange");

    private async Task RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var directory = Path.Combine(ClientRunner.ClientsDirectory, "shell");
        await ClientRunner.AssertScenarioPassesAsync(
            output, "amqp-tools", scenario, "/bin/bash",
            [Path.Combine(directory, "amqp_tools_scenarios.sh"), fixture.Uri.ToString(), scenario], directory, timeout);

        // A failure the broker logged while the client ran fails the scenario too.
        fixture.ThrowIfBrokerErrors($"{GetType().Name} {scenario}");
    }
}
