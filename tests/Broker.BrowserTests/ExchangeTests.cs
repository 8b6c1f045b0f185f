using System.Text;
using Microsoft.Playwright;
using RabbitMQ.Client;

namespace Broker.BrowserTests;

public sealed class ExchangeTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task The_exchange_list_shows_the_standard_exchanges_and_filters()
    {
        await LoginAsync();
        await GoAsync("exchanges");
        await Assertions.Expect(Page.Locator("#exchange-list tbody")).ToContainTextAsync("amq.topic");
        await Assertions.Expect(Page.Locator("#exchange-list tbody")).ToContainTextAsync("(AMQP default)");
        await ScreenshotAsync("09-exchanges");
        await Page.FillAsync("#exchange-filter", "amq.fan");
        await Assertions.Expect(Page.Locator("#exchange-list tbody tr")).ToHaveCountAsync(1);
        await Page.ClickAsync("#exchange-list tbody a");
        await Assertions.Expect(Page.Locator("main h1")).ToContainTextAsync("amq.fanout");
    }

    [Fact]
    public async Task A_message_published_on_the_exchange_page_arrives_in_the_bound_queue()
    {
        var exchange = Unique("orders");
        var queue = Unique("eu");
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Direct);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, "eu");

        await LoginAsync();
        await GoAsync($"exchanges/%2F/{exchange}");
        await Assertions.Expect(Page.Locator("#bindings-out tbody")).ToContainTextAsync(queue);
        await Page.FillAsync("#publish .publish-routing-key", "eu");
        await Page.Locator("#publish .args-row .arg-key").First.FillAsync("region");
        await Page.Locator("#publish .args-row .arg-value").First.FillAsync("emea");
        await Page.Locator("#publish .prop-name").First.SelectOptionAsync("message_id");
        await Page.Locator("#publish .prop-value").First.FillAsync("order-1");
        await Page.FillAsync("#publish .publish-payload", "{\"id\":1}");
        await Page.ClickAsync("#publish .publish-submit");
        await ExpectTextAsync(Page.Locator("#notices"), "Message published");
        await ScreenshotAsync("10-exchange");

        var got = await channel.BasicGetAsync(queue, autoAck: true);
        Assert.NotNull(got);
        Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString(got.Body.Span));
        Assert.Equal("order-1", got.BasicProperties.MessageId);
        Assert.Equal("emea", Encoding.UTF8.GetString((byte[])got.BasicProperties.Headers!["region"]!));

        // An unbind from the exchange page removes the binding.
        await Page.Locator("#bindings-out button.unbind").ClickAsync();
        await Assertions.Expect(Page.Locator("#bindings-out tbody tr.empty")).ToHaveCountAsync(1);
        await channel.QueueDeleteAsync(queue);
        await channel.ExchangeDeleteAsync(exchange);
    }
}
