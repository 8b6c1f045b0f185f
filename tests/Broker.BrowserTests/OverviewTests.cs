using Microsoft.Playwright;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.BrowserTests;

public sealed class OverviewTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task The_overview_counts_connections_channels_queues_and_consumers_and_charts_rates()
    {
        var queue = Unique("overview");
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        await channel.BasicConsumeAsync(queue, autoAck: true, new AsyncEventingBasicConsumer(channel));
        await PublishAsync(queue, 20);
        var backlog = Unique("backlog");
        await channel.QueueDeclareAsync(backlog, durable: false, exclusive: false, autoDelete: false);
        await PublishAsync(backlog, 50);

        await LoginAsync();
        await ExpectTextAsync(Page.Locator("#total-connections"), "^[1-9]");
        await ExpectTextAsync(Page.Locator("#total-channels"), "^[1-9]");
        await ExpectTextAsync(Page.Locator("#total-queues"), "^[1-9]");
        await ExpectTextAsync(Page.Locator("#total-consumers"), "^1$");
        await Assertions.Expect(Page.Locator("#rates svg.chart")).ToBeVisibleAsync();
        await Assertions.Expect(Page.Locator("#queued svg.chart")).ToBeVisibleAsync();
        await ExpectTextAsync(Page.Locator("#alarms"), "No resource alarms");
        await ExpectTextAsync(Page.Locator("#total-ready"), "^50$");
        await ExpectTextAsync(Page.Locator("#queued li[data-series=ready] .legend-value"), "^50$");

        // The second sample, five seconds later, draws the lines.
        await Assertions.Expect(Page.Locator("#queued svg polyline")).ToHaveCountAsync(3, new() { Timeout = 15_000 });
        await ScreenshotAsync("02-overview");
        await channel.QueueDeleteAsync(backlog);

        // The header's tabs lead to the other pages.
        await Page.ClickAsync("nav.tabs a[data-tab=queues]");
        await Assertions.Expect(Page.Locator("main h1")).ToHaveTextAsync("Queues");
        await Assertions.Expect(Page.Locator("nav.tabs a.active")).ToHaveTextAsync("Queues");
    }
}
