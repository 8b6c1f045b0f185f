using Microsoft.Playwright;
using RabbitMQ.Client;

namespace Broker.BrowserTests;

public sealed class QueuesTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task Twelve_hundred_queues_are_filtered_sorted_and_paged_by_the_server()
    {
        var prefix = Unique("many");
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        for (var i = 0; i < 1200; i++)
        {
            await channel.QueueDeclareAsync($"{prefix}-{i:0000}", durable: false, exclusive: false, autoDelete: false);
        }

        try
        {
            await PublishAsync($"{prefix}-0500", 3);
            await LoginAsync();
            await GoAsync("queues");
            await Page.FillAsync("#queue-filter", prefix);
            await ExpectTextAsync(Page.Locator(".pager"), "Page 1 of 12");
            await ExpectTextAsync(Page.Locator(".pager"), "1,200 of [\\d,]+ match");
            var firstName = Page.Locator("#queue-list table tbody tr").First.Locator("td.name");
            await Assertions.Expect(firstName).ToHaveTextAsync($"{prefix}-0000");
            await ScreenshotAsync("03-queues");

            await Page.ClickAsync(".pager button[title='Next page']");
            await ExpectTextAsync(Page.Locator(".pager"), "Page 2 of 12");
            await Assertions.Expect(firstName).ToHaveTextAsync($"{prefix}-0100");

            // Sorting starts again from the server's first page of the new order.
            await Page.ClickAsync("#queue-list th[data-sort=name]");
            await Assertions.Expect(Page.Locator("#queue-list th[data-sort=name]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("sorted-desc"));
            await Page.ClickAsync(".pager button[title='First page']");
            await Assertions.Expect(firstName).ToHaveTextAsync($"{prefix}-1199");

            await Page.ClickAsync("#queue-list th[data-sort=messages_ready]");
            await Assertions.Expect(firstName).ToHaveTextAsync($"{prefix}-0500");
            await Assertions.Expect(Page.Locator("#queue-list table tbody tr").First).ToContainTextAsync("3");

            await Page.SetCheckedAsync("#queue-filter-regex", true);
            await Page.FillAsync("#queue-filter", $"^{prefix}-00(0|1)[05]$");
            await Assertions.Expect(Page.Locator("#queue-list table tbody tr")).ToHaveCountAsync(4);
            await ExpectTextAsync(Page.Locator(".pager"), "Page 1 of 1");
            await ScreenshotAsync("03-queues-regex");

            await Page.SelectOptionAsync("#queue-page-size", "20");
            await Page.SetCheckedAsync("#queue-filter-regex", false);
            await Page.FillAsync("#queue-filter", prefix);
            await ExpectTextAsync(Page.Locator(".pager"), "Page 1 of 60");
        }
        finally
        {
            for (var i = 0; i < 1200; i++)
            {
                await channel.QueueDeleteAsync($"{prefix}-{i:0000}");
            }
        }
    }

    [Fact]
    public async Task A_queue_added_with_the_form_has_its_arguments()
    {
        var queue = Unique("added");
        await LoginAsync();
        await GoAsync("queues");
        await Page.SelectOptionAsync("#new-queue-vhost", "/");
        await Page.FillAsync("#new-queue-name", queue);
        await Page.ClickAsync("#add-queue a.arg-hint:text-is('x-max-length')");
        await Page.Locator("#add-queue .arg-value").First.FillAsync("10");
        await Page.ClickAsync("#new-queue-submit");
        await ExpectTextAsync(Page.Locator("#notices"), $"Queue {queue} added");
        await Page.FillAsync("#queue-filter", queue);
        await Assertions.Expect(Page.Locator("#queue-list tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(Page.Locator("#queue-list tbody tr .badge-info")).ToHaveTextAsync("Lim");

        using var api = Api();
        var json = await api.GetStringAsync($"api/queues/%2F/{queue}");
        Assert.Contains("\"x-max-length\":10", json);
        await api.DeleteAsync($"api/queues/%2F/{queue}");
    }
}
