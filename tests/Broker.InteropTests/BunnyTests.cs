namespace Broker.InteropTests;

/// <summary>Bunny 2.19 (ruby-bunny): clients/ruby/bunny_scenarios.rb.</summary>
public sealed class BunnyTests(BrokerFixture fixture, ITestOutputHelper output) : IClassFixture<BrokerFixture>
{
    [Fact]
    public Task Topic_exchange_routes_with_wildcards() => RunAsync("topic");

    [Fact]
    public Task Subscribe_with_manual_ack() => RunAsync("subscribe_manual_ack");

    [Fact]
    public Task Confirm_select_and_wait_for_confirms() => RunAsync("confirms");

    [Fact]
    public Task Headers_exchange_matches_all_and_any() => RunAsync("headers");

    [Fact]
    public Task Basic_get_with_manual_ack() => RunAsync("basic_get");

    [Fact]
    public Task Exclusive_server_named_queue() => RunAsync("exclusive_server_named");

    private async Task RunAsync(string scenario, TimeSpan? timeout = null)
    {
        var directory = Path.Combine(ClientRunner.ClientsDirectory, "ruby");
        await ClientRunner.AssertScenarioPassesAsync(
            output, "bunny", scenario, ClientRunner.Ruby,
            [Path.Combine(directory, "bunny_scenarios.rb"), fixture.Uri.ToString(), scenario], directory, timeout);

        // A failure the broker logged while the client ran fails the scenario too.
        fixture.ThrowIfBrokerErrors($"{GetType().Name} {scenario}");
    }
}
