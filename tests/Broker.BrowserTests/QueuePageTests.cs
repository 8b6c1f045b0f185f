using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RabbitMQ.Client;

namespace Broker.BrowserTests;

public sealed class QueuePageTests(BrowserFixture fixture) : UiTest(fixture)
{
    private async Task<string> DeclareAsync(string prefix, IDictionary<string, object?>? arguments = null)
    {
        var queue = Unique(prefix);
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
        return queue;
    }

    private async Task OpenAsync(string queue)
    {
        await LoginAsync();
        await GoAsync($"queues/%2F/{Uri.EscapeDataString(queue)}");
        await Assertions.Expect(Page.Locator("main h1")).ToContainTextAsync(queue);
        await Assertions.Expect(Page.Locator("#queue-details table")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Get_messages_shows_properties_headers_and_the_body_as_json_text_and_hex()
    {
        var queue = await DeclareAsync("get");
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            MessageId = "m-42",
            Headers = new Dictionary<string, object?> { ["tenant"] = Encoding.UTF8.GetBytes("acme") },
        };
        await PublishAsync(queue, 1, _ => Encoding.UTF8.GetBytes("{\"order\":17,\"items\":[\"a\",\"b\"]}"), properties);
        await OpenAsync(queue);

        await Page.SelectOptionAsync("#get-ackmode", "ack_requeue_true");
        await Page.ClickAsync("#get-submit");
        var message = Page.Locator("#got-messages .message").First;
        await Assertions.Expect(message.Locator("pre.body-json")).ToContainTextAsync("\"order\": 17");
        await Assertions.Expect(message.Locator(".message-meta")).ToContainTextAsync("m-42");
        await Assertions.Expect(message.Locator(".message-meta")).ToContainTextAsync("tenant");
        await Assertions.Expect(message.Locator(".message-meta")).ToContainTextAsync("acme");
        await ScreenshotAsync("05-queue-get-json");

        await message.Locator("button[data-mode=text]").ClickAsync();
        await Assertions.Expect(message.Locator("pre.body-text")).ToHaveTextAsync("{\"order\":17,\"items\":[\"a\",\"b\"]}");
        await message.Locator("button[data-mode=hex]").ClickAsync();
        await Assertions.Expect(message.Locator("pre.body-hex")).ToContainTextAsync("00000000  7b 22 6f 72 64 65 72 22");
        await ScreenshotAsync("05-queue-get-hex");

        // Requeued: still in the queue.
        Assert.Equal(1u, await ReadyCountAsync(queue));
        await ScreenshotAsync("04-queue");
        await Api().DeleteAsync($"api/queues/%2F/{queue}");
    }

    [Fact]
    public async Task A_dead_lettered_message_shows_its_x_death_history_as_a_table()
    {
        var dlx = Unique("dlx");
        var dead = await DeclareAsync("dead");
        await using (var connection = await ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync(dlx, ExchangeType.Fanout, durable: false, autoDelete: false);
            await channel.QueueBindAsync(dead, dlx, "");
        }

        var source = await DeclareAsync("work", new Dictionary<string, object?> { ["x-dead-letter-exchange"] = dlx });
        await PublishAsync(source, 1, _ => Encoding.UTF8.GetBytes("poison"));
        await using (var connection = await ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var got = await channel.BasicGetAsync(source, autoAck: false);
            Assert.NotNull(got);
            await channel.BasicRejectAsync(got.DeliveryTag, requeue: false);
        }

        await OpenAsync(dead);
        await Page.ClickAsync("#get-submit");
        var deaths = Page.Locator("#got-messages .dead-letter table.x-death tbody tr");
        await Assertions.Expect(deaths).ToHaveCountAsync(1);
        await Assertions.Expect(deaths.Locator("td").Nth(0)).ToHaveTextAsync(source);
        await Assertions.Expect(deaths.Locator("td").Nth(1)).ToHaveTextAsync("rejected");
        await Assertions.Expect(deaths.Locator("td").Nth(2)).ToHaveTextAsync("1");
        await Assertions.Expect(deaths.Locator("td").Nth(3)).ToHaveTextAsync("(default)");
        await Assertions.Expect(deaths.Locator("td").Nth(4)).ToHaveTextAsync(source);
        await Assertions.Expect(deaths.Locator("td").Nth(5)).ToHaveTextAsync(new Regex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"));
        await Assertions.Expect(Page.Locator("#got-messages .message pre.body-text")).ToHaveTextAsync("poison");
        await ScreenshotAsync("06-queue-x-death");

        using var api = Api();
        await api.DeleteAsync($"api/queues/%2F/{source}");
        await api.DeleteAsync($"api/queues/%2F/{dead}");
        await api.DeleteAsync($"api/exchanges/%2F/{dlx}");
    }

    [Fact]
    public async Task Purge_empties_the_queue_and_the_page_shows_it()
    {
        var queue = await DeclareAsync("purge");
        await PublishAsync(queue, 5);
        await OpenAsync(queue);
        await Assertions.Expect(Page.Locator("#queue-depth table tbody tr").Nth(2)).ToContainTextAsync("5");
        await Page.ClickAsync("#purge-button");
        await ExpectTextAsync(Page.Locator("#notices"), $"Queue {queue} purged");
        await Assertions.Expect(Page.Locator("#queue-depth table tbody tr").Nth(2).Locator("td").Nth(1)).ToHaveTextAsync("0");
        Assert.Equal(0u, await ReadyCountAsync(queue));
        await Api().DeleteAsync($"api/queues/%2F/{queue}");
    }

    [Fact]
    public async Task Move_takes_every_message_to_the_other_queue_with_its_properties()
    {
        var source = await DeclareAsync("from");
        var destination = await DeclareAsync("to");
        var properties = new BasicProperties { CorrelationId = "c-1", Headers = new Dictionary<string, object?> { ["n"] = 7 } };
        await PublishAsync(source, 7, i => Encoding.UTF8.GetBytes($"m{i}"), properties);
        await OpenAsync(source);
        await Page.FillAsync("#move-destination", destination);
        await Page.ClickAsync("#move-submit");
        await ExpectTextAsync(Page.Locator("#move-status"), $"^7 moved to {destination}$");
        await Assertions.Expect(Page.Locator("#queue-depth table tbody tr").Nth(0).Locator("td").Nth(1)).ToHaveTextAsync("0");
        await ScreenshotAsync("07-queue-move");
        Assert.Equal(0u, await ReadyCountAsync(source));
        Assert.Equal(7u, await ReadyCountAsync(destination));

        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var first = await channel.BasicGetAsync(destination, autoAck: true);
        Assert.Equal("m0", Encoding.UTF8.GetString(first!.Body.Span));
        Assert.Equal("c-1", first.BasicProperties.CorrelationId);
        Assert.Equal(7, Convert.ToInt32(first.BasicProperties.Headers!["n"]));
        await channel.QueueDeleteAsync(source);
        await channel.QueueDeleteAsync(destination);
    }

    [Fact]
    public async Task Bindings_are_added_and_removed_on_the_queue_page()
    {
        var queue = await DeclareAsync("bind");
        await OpenAsync(queue);
        await Assertions.Expect(Page.Locator("#queue-bindings tbody tr")).ToHaveCountAsync(1); // the default exchange's
        await Page.FillAsync("#bind-exchange", "amq.direct");
        await Page.FillAsync("#bind-routing-key", "orders.eu");
        await Page.ClickAsync("#bind-submit");
        await Assertions.Expect(Page.Locator("#queue-bindings tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(Page.Locator("#queue-bindings tbody")).ToContainTextAsync("orders.eu");
        await ScreenshotAsync("08-queue-bindings");

        await Page.Locator("#queue-bindings button.unbind").ClickAsync();
        await Assertions.Expect(Page.Locator("#queue-bindings tbody tr")).ToHaveCountAsync(1);
        using var api = Api();
        Assert.DoesNotContain("orders.eu", await api.GetStringAsync($"api/queues/%2F/{queue}/bindings"));
        await api.DeleteAsync($"api/queues/%2F/{queue}");
    }

    [Fact]
    public async Task Delete_removes_the_queue_and_returns_to_the_list()
    {
        var queue = await DeclareAsync("delete");
        await OpenAsync(queue);
        await Page.ClickAsync("#delete-button");
        await Assertions.Expect(Page.Locator("main h1")).ToHaveTextAsync("Queues");
        var response = await Api().GetAsync($"api/queues/%2F/{queue}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
