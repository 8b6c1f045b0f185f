using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;
using RabbitMQ.Client;

namespace Broker.BrowserTests;

public sealed class NavigationTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task The_vhost_selector_limits_the_lists_to_one_virtual_host()
    {
        var vhost = Unique("ui-vhost");
        var queue = Unique("in-vhost");
        using var api = Api();
        (await api.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        try
        {
            (await api.PutAsJsonAsync($"api/permissions/{vhost}/guest", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
            (await api.PutAsJsonAsync($"api/queues/{vhost}/{queue}", new { durable = false })).EnsureSuccessStatusCode();
            await LoginAsync();
            await Page.SelectOptionAsync("#vhost-select", vhost);
            await GoAsync("queues");
            await Assertions.Expect(Page.Locator("#queue-list tbody tr")).ToHaveCountAsync(1);
            await Assertions.Expect(Page.Locator("#queue-list tbody tr td.name")).ToHaveTextAsync(queue);
            await Assertions.Expect(Page.Locator("#queue-list th[data-sort=vhost]")).ToHaveCountAsync(0);

            await Page.ClickAsync("#queue-list tbody a");
            await Assertions.Expect(Page.Locator("main h1")).ToContainTextAsync(queue);
            Assert.Contains($"#/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}", Page.Url);

            await Page.SelectOptionAsync("#vhost-select", "");
            await GoAsync("queues");
            await Assertions.Expect(Page.Locator("#queue-list th[data-sort=vhost]")).ToHaveCountAsync(1);
        }
        finally
        {
            await api.DeleteAsync($"api/vhosts/{vhost}");
        }
    }

    [Fact]
    public async Task A_queue_whose_name_has_slashes_spaces_and_hashes_opens_and_gets_its_messages()
    {
        var queue = $"odd/name #{Guid.NewGuid().ToString("N")[..6]} ü";
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        await PublishAsync(queue, 1, _ => Encoding.UTF8.GetBytes("grüße"));

        await LoginAsync();
        await GoAsync("queues");
        await Page.FillAsync("#queue-filter", queue);
        await Page.ClickAsync("#queue-list tbody a");
        await Assertions.Expect(Page.Locator("main h1")).ToContainTextAsync(queue);
        await Page.ClickAsync("#get-submit");
        await Assertions.Expect(Page.Locator("#got-messages pre.body-text")).ToHaveTextAsync("grüße");

        // Reloading the page keeps the session and the route.
        await Page.ReloadAsync();
        await Assertions.Expect(Page.Locator("main h1")).ToContainTextAsync(queue);
        await channel.QueueDeleteAsync(queue);
    }

    [Fact]
    public async Task An_unknown_route_says_so()
    {
        await LoginAsync();
        await GoAsync("no-such-page");
        await Assertions.Expect(Page.Locator("main h1")).ToHaveTextAsync("Not found");
    }
}
