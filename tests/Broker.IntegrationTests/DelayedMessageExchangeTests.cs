using Broker.IntegrationTests.Helpers;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests;

/// <summary>
/// x-delayed-message as a RabbitMQ.Client application sees it. The plugin
/// (rabbitmq/rabbitmq-delayed-message-exchange) is not packaged in Debian, so the reference RabbitMQ
/// 3.10 cannot check these: against an external broker without it each test returns at once (the
/// probe's declare fails with 503 unknown exchange type; xunit 2 has no runtime skip). What they
/// expect follows the plugin's v3.13.0 source: rabbit_exchange_type_delayed_message.erl (validate/1,
/// route/3), rabbit_delayed_message.erl (held until due, then routed) and
/// rabbit_delayed_message_utils.erl (get_delay/1, swap_delay_header/1).
/// </summary>
public sealed class DelayedMessageExchangeTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static Dictionary<string, object?> DelayedType(string type) => new() { ["x-delayed-type"] = type };

    private static BasicProperties Delay(object? milliseconds, bool persistent = false) => new()
    {
        Headers = milliseconds is null ? null : new Dictionary<string, object?> { ["x-delay"] = milliseconds },
        DeliveryMode = persistent ? DeliveryModes.Persistent : DeliveryModes.Transient,
    };

    /// <summary>Whether the broker knows the type: an external RabbitMQ without the plugin answers 503.</summary>
    private async Task<bool> SupportedAsync()
    {
        if (!Fixture.IsExternal)
        {
            return true;
        }

        await using var connection = await Fixture.ConnectAsync("delayed-probe");
        await using var channel = await connection.CreateChannelAsync();
        var name = ExchangeName("probe");
        try
        {
            await channel.ExchangeDeclareAsync(name, "x-delayed-message", durable: false, autoDelete: false, DelayedType("direct"));
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 503)
        {
            return false;
        }
    }

    private async Task<(string Exchange, string Queue)> DelayedWithQueueAsync(string type = "direct", string bindingKey = "k", Dictionary<string, object?>? arguments = null)
    {
        arguments ??= DelayedType(type);
        var exchange = ExchangeName("delayed");
        await Channel.ExchangeDeclareAsync(exchange, "x-delayed-message", durable: false, autoDelete: false, arguments);
        var queue = await DeclareQueueAsync();
        await Channel.QueueBindAsync(queue, exchange, bindingKey);
        return (exchange, queue);
    }

    [Fact]
    public async Task Declaring_without_x_delayed_type_is_a_406()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
            () => Channel.ExchangeDeclareAsync(ExchangeName(), "x-delayed-message", durable: false, autoDelete: false));
    }

    [Fact]
    public async Task Declaring_with_itself_as_x_delayed_type_is_a_406()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        await Channel.AssertChannelErrorAsync(
            406,
            "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'",
            () => Channel.ExchangeDeclareAsync(ExchangeName(), "x-delayed-message", durable: false, autoDelete: false, DelayedType("x-delayed-message")));
    }

    [Fact]
    public async Task Declaring_with_an_unknown_x_delayed_type_closes_the_connection_with_503()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        // validate/1 calls rabbit_exchange:check_type, whose command_invalid is a connection error.
        await Connection.AssertConnectionErrorAsync(
            503,
            "COMMAND_INVALID - unknown exchange type 'x-no-such-type'",
            () => Channel.ExchangeDeclareAsync(ExchangeName(), "x-delayed-message", durable: false, autoDelete: false, DelayedType("x-no-such-type")));
    }

    [Fact]
    public async Task Messages_arrive_after_their_delay_in_delay_order_with_x_delay_negated()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var started = DateTime.UtcNow;

        await Channel.PublishAsync(exchange, "k", "late", Delay(900));
        await Channel.PublishAsync(exchange, "k", "early", Delay(300));
        await Channel.PublishAsync(exchange, "k", "middle", Delay(600));
        await Channel.PublishAsync(exchange, "k", "now", Delay(null));

        var deliveries = await consumer.NextAsync(4);
        Assert.Equal(["now", "early", "middle", "late"], deliveries.Select(d => d.Text));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(850), "the last message came before its delay");
        Assert.Null(deliveries[0].Properties.Headers);
        Assert.Equal(-300L, deliveries[1].Properties.Headers!["x-delay"]);
        Assert.Equal(-900L, deliveries[3].Properties.Headers!["x-delay"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    [InlineData(4294967296L)]
    public async Task Zero_negative_and_too_long_delays_route_at_once_with_the_header_as_sent(long delay)
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();

        await SendAsync(exchange, "k", "m", Delay(delay));

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(delay, got.BasicProperties.Headers!["x-delay"]);
    }

    [Fact]
    public async Task A_string_delay_is_read_as_an_integer()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);

        await Channel.PublishAsync(exchange, "k", "m", Delay("200"));

        var delivery = await consumer.NextAsync();
        Assert.Equal(-200L, delivery.Properties.Headers!["x-delay"]);
    }

    [Fact]
    public async Task A_string_delay_that_is_not_an_integer_closes_the_connection_with_541()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();

        // The plugin's binary_to_integer raises; the channel process dies and the reader answers 541.
        await Connection.AssertConnectionErrorAsync(541, "INTERNAL_ERROR", async () => await Channel.PublishAsync(exchange, "k", "m", Delay("soon")));

        await using var connection = await Fixture.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        Assert.Equal(0u, await channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task The_publisher_is_confirmed_and_a_mandatory_delayed_message_is_returned_yet_still_delivered()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();
        var channel = await NewChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false));
        var events = new List<string>();
        channel.BasicReturnAsync += (_, e) =>
        {
            lock (events)
            {
                events.Add($"return:{e.ReplyCode}:{e.ReplyText}");
            }

            return Task.CompletedTask;
        };
        channel.BasicAcksAsync += (_, e) =>
        {
            lock (events)
            {
                events.Add($"ack:{e.DeliveryTag}");
            }

            return Task.CompletedTask;
        };

        // The plugin's route returns no queue: basic.return for mandatory, then the ack, long before delivery.
        await channel.BasicPublishAsync(exchange, "k", mandatory: true, Delay(1000, persistent: true), Amqp.Body("m"));
        await Amqp.EventuallyAsync(
            () =>
            {
                lock (events)
                {
                    return Task.FromResult(events.Count == 2);
                }
            },
            "the return and the ack",
            TimeSpan.FromMilliseconds(900));

        lock (events)
        {
            Assert.Equal(["return:312:NO_ROUTE", "ack:1"], events);
        }

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        Assert.Equal("m", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task The_alternate_exchange_gets_a_delayed_message_at_once_and_the_bound_queue_when_due()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var alternate = await DeclareExchangeAsync("fanout");
        var unrouted = await DeclareQueueAsync();
        await Channel.QueueBindAsync(unrouted, alternate, "");
        var arguments = DelayedType("direct");
        arguments["alternate-exchange"] = alternate;
        var (exchange, queue) = await DelayedWithQueueAsync(arguments: arguments);

        await SendAsync(exchange, "k", "m", Delay(300));

        Assert.Equal(1u, await Channel.ReadyCountAsync(unrouted));
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        Assert.Equal("m", (await consumer.NextAsync()).Text);
    }

    [Fact]
    public async Task Reached_through_an_exchange_binding_with_topic_routing_a_message_is_delayed()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var source = await DeclareExchangeAsync("fanout");
        var (exchange, queue) = await DelayedWithQueueAsync("topic", bindingKey: "orders.#");
        await Channel.ExchangeBindAsync(exchange, source, "");
        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var started = DateTime.UtcNow;

        await Channel.PublishAsync(source, "orders.eu.created", "m", Delay(300));
        await Channel.PublishAsync(source, "payments.eu", "unmatched", Delay(100));

        var delivery = await consumer.NextAsync();
        Assert.Equal("m", delivery.Text);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250), "the message came before its delay");
        await consumer.AssertNoMoreAsync();
    }

    [Fact]
    public async Task Deleting_the_exchange_drops_the_messages_it_holds()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync();
        await SendAsync(exchange, "k", "dropped", Delay(200));

        await Channel.ExchangeDeleteAsync(exchange);
        await Task.Delay(600);

        Assert.Empty(await DrainAsync(queue));
    }

    [Fact]
    public async Task Used_as_a_dead_letter_exchange_it_delays_dead_lettered_messages()
    {
        if (!await SupportedAsync())
        {
            return;
        }

        var (exchange, queue) = await DelayedWithQueueAsync("fanout", bindingKey: "");
        var source = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-dead-letter-exchange"] = exchange });
        await SendAsync("", source, "m", Delay(300));
        var got = await Channel.GetRequiredAsync(source, autoAck: false);
        var started = DateTime.UtcNow;

        await Channel.BasicRejectAsync(got.DeliveryTag, requeue: false);

        var consumer = await Channel.ConsumeAsync(queue, autoAck: true);
        var delivery = await consumer.NextAsync();
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250), "the dead-lettered message came before its delay");
        Assert.Equal(-300L, delivery.Properties.Headers!["x-delay"]);
    }
}
