using Microsoft.Playwright;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.BrowserTests;

/// <summary>The Connections and Channels pages against a RabbitMQ.Client connection with a name, a prefetch and a consumer.</summary>
public sealed class ConnectionPagesTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task A_named_connection_is_listed_shown_and_closed_with_a_reason()
    {
        var name = Unique("billing-worker");
        var factory = new ConnectionFactory { Uri = Fixture.Broker.AmqpUri, AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync(name);
        await using var channel = await connection.CreateChannelAsync();
        var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, args) =>
        {
            closed.TrySetResult(args);
            return Task.CompletedTask;
        };

        await LoginAsync();
        await GoAsync("connections");
        var row = Page.Locator("table.connections tbody tr").Filter(new() { HasText = name });
        await ExpectTextAsync(row, "guest.*127\\.0\\.0\\.1:\\d+.*AMQP 0-9-1.*1.*running");
        await ScreenshotAsync("20-connections");

        await row.Locator("a.connection-link").ClickAsync();
        await ExpectTextAsync(Page.Locator("main h1"), name);
        await ExpectTextAsync(Page.Locator("#client-properties"), $"connection_name\\s*{name}");
        await ExpectTextAsync(Page.Locator("#client-properties"), "RabbitMQ");
        await Assertions.Expect(Page.Locator("#connection-channels tbody tr")).ToHaveCountAsync(1);
        await ScreenshotAsync("21-connection");

        await Page.FillAsync("#close-reason", "closed from the browser test");
        await Page.ClickAsync("#close-connection");
        var args = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(320, args.ReplyCode);
        Assert.Contains("closed from the browser test", args.ReplyText, StringComparison.Ordinal);
        await ExpectRouteAsync("connections");
    }

    [Fact]
    public async Task Channels_show_prefetch_unacked_and_consumers()
    {
        var factory = new ConnectionFactory { Uri = Fixture.Broker.AmqpUri, AutomaticRecoveryEnabled = false };
        var name = Unique("prefetch-client");
        await using var connection = await factory.CreateConnectionAsync(name);
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 7, global: false);
        var queue = (await channel.QueueDeclareAsync(Unique("work"), durable: false, exclusive: true, autoDelete: true)).QueueName;
        for (var i = 0; i < 3; i++)
        {
            await channel.BasicPublishAsync(string.Empty, queue, "job"u8.ToArray());
        }

        var consumer = new AsyncEventingBasicConsumer(channel);
        var received = 0;
        consumer.ReceivedAsync += (_, _) =>
        {
            Interlocked.Increment(ref received);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, "ui-test-consumer", consumer);
        while (Volatile.Read(ref received) < 3)
        {
            await Task.Delay(20);
        }

        await LoginAsync();
        await GoAsync("channels");
        var row = Page.Locator("table.channels tbody tr").Filter(new() { HasText = name });
        var cells = row.Locator("td");
        await Assertions.Expect(cells.Nth(2)).ToHaveTextAsync("guest");
        await Assertions.Expect(cells.Nth(5)).ToHaveTextAsync("7");
        await Assertions.Expect(cells.Nth(6)).ToHaveTextAsync("3");
        await Assertions.Expect(cells.Nth(8)).ToHaveTextAsync("1");
        await ScreenshotAsync("22-channels");

        await row.Locator("a.channel-link").ClickAsync();
        await ExpectTextAsync(Page.Locator("#channel-consumers tbody tr"), $"ui-test-consumer.*{queue}.*yes.*no.*7");
        await ExpectTextAsync(Page.Locator("main"), "Unacked\\s*3");
        await ScreenshotAsync("23-channel");
    }
}
