using Broker.IntegrationTests.Helpers;
using Broker.RawClient;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Broker.IntegrationTests;

public sealed class ConfirmTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    private static readonly CreateChannelOptions Tracked = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
    private static readonly CreateChannelOptions Untracked = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false);

    /// <summary>
    /// Records basic.ack, basic.nack and basic.return on a channel in arrival order, and which publish
    /// sequence numbers ended up acked or nacked (a multiple ack/nack settles every earlier unsettled tag).
    /// </summary>
    private sealed class ConfirmLog
    {
        private readonly List<string> _events = [];
        private readonly HashSet<ulong> _acked = [];
        private readonly HashSet<ulong> _nacked = [];

        public ConfirmLog(IChannel channel)
        {
            channel.BasicAcksAsync += (_, e) =>
            {
                Settle($"ack:{e.DeliveryTag}", e.DeliveryTag, e.Multiple, _acked);
                return Task.CompletedTask;
            };
            channel.BasicNacksAsync += (_, e) =>
            {
                Settle($"nack:{e.DeliveryTag}", e.DeliveryTag, e.Multiple, _nacked);
                return Task.CompletedTask;
            };
            channel.BasicReturnAsync += (_, e) =>
            {
                lock (_events)
                {
                    _events.Add($"return:{e.ReplyCode}:{e.RoutingKey}");
                }

                return Task.CompletedTask;
            };
        }

        private void Settle(string evt, ulong deliveryTag, bool multiple, HashSet<ulong> into)
        {
            lock (_events)
            {
                _events.Add(evt);
                for (var tag = multiple ? 1ul : deliveryTag; tag <= deliveryTag; tag++)
                {
                    if (!_acked.Contains(tag) && !_nacked.Contains(tag))
                    {
                        into.Add(tag);
                    }
                }
            }
        }

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IReadOnlySet<ulong> Acked
        {
            get
            {
                lock (_events)
                {
                    return _acked.ToHashSet();
                }
            }
        }

        public IReadOnlySet<ulong> Nacked
        {
            get
            {
                lock (_events)
                {
                    return _nacked.ToHashSet();
                }
            }
        }

        /// <summary>Waits until every sequence number up to <paramref name="upTo"/> is acked or nacked.</summary>
        public Task WaitForSettledAsync(ulong upTo) => Amqp.EventuallyAsync(
            () =>
            {
                lock (_events)
                {
                    return Task.FromResult(_acked.Count + _nacked.Count >= (int)upTo);
                }
            },
            $"confirms for 1..{upTo}");
    }

    [Fact]
    public async Task Tracked_publishes_complete_once_confirmed_and_messages_are_enqueued()
    {
        var queue = await DeclareQueueAsync();
        var channel = await Connection.CreateChannelAsync(Tracked);

        for (var i = 0; i < 10; i++)
        {
            await channel.PublishAsync("", queue, i.ToString());
        }

        Assert.Equal(10u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Publish_sequence_numbers_start_at_1_and_acks_cover_every_publish()
    {
        var queue = await DeclareQueueAsync();
        var channel = await Connection.CreateChannelAsync(Untracked);
        var log = new ConfirmLog(channel);

        Assert.Equal(1ul, await channel.GetNextPublishSequenceNumberAsync());
        for (var i = 0; i < 50; i++)
        {
            await channel.PublishAsync("", queue, i.ToString());
        }

        Assert.Equal(51ul, await channel.GetNextPublishSequenceNumberAsync());
        await log.WaitForSettledAsync(50);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (ulong)i).ToHashSet(), log.Acked);
        Assert.Empty(log.Nacked);
    }

    [Fact]
    public async Task Unroutable_mandatory_message_is_returned_before_it_is_acked()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var channel = await Connection.CreateChannelAsync(Untracked);
        var log = new ConfirmLog(channel);

        await channel.PublishAsync(exchange, "nowhere", "m", mandatory: true);
        await log.WaitForSettledAsync(1);

        Assert.Equal(["return:312:nowhere", "ack:1"], log.Events);
    }

    [Fact]
    public async Task Unroutable_mandatory_message_fails_a_tracked_publish_with_the_return()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var channel = await Connection.CreateChannelAsync(Tracked);

        var ex = await Assert.ThrowsAsync<PublishReturnException>(() => channel.PublishAsync(exchange, "nowhere", "m", mandatory: true).AsTask());

        Assert.Equal((312, "NO_ROUTE", exchange, "nowhere"), (ex.ReplyCode, ex.ReplyText, ex.Exchange, ex.RoutingKey));
        Assert.True(channel.IsOpen);
    }

    [Fact]
    public async Task Unroutable_message_without_mandatory_is_acked()
    {
        var exchange = await DeclareExchangeAsync(ExchangeType.Direct);
        var channel = await Connection.CreateChannelAsync(Untracked);
        var log = new ConfirmLog(channel);

        await channel.PublishAsync(exchange, "nowhere", "m");
        await log.WaitForSettledAsync(1);

        Assert.Equal(["ack:1"], log.Events);
    }

    [Fact]
    public async Task Persistent_message_to_durable_queue_is_acked_and_stored()
    {
        var queue = QueueName();
        await Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var channel = await Connection.CreateChannelAsync(Tracked);

        await channel.PublishAsync("", queue, "durable", new BasicProperties { Persistent = true });

        var got = await Channel.GetRequiredAsync(queue, autoAck: true);
        Assert.Equal(("durable", DeliveryModes.Persistent), (Amqp.Text(got.Body), got.BasicProperties.DeliveryMode));
    }

    [Fact]
    public async Task Message_rejected_by_reject_publish_overflow_is_nacked()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        var channel = await Connection.CreateChannelAsync(Tracked);

        await channel.PublishAsync("", queue, "fits");
        var ex = await Assert.ThrowsAsync<PublishException>(() => channel.PublishAsync("", queue, "overflows").AsTask());

        Assert.False(ex.IsReturn);
        Assert.Equal(2ul, ex.PublishSequenceNumber);
        Assert.Equal(1u, await Channel.ReadyCountAsync(queue));
    }

    [Fact]
    public async Task Nack_event_carries_the_rejected_sequence_number()
    {
        var queue = await DeclareQueueAsync(arguments: new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        var other = await DeclareQueueAsync();
        var channel = await Connection.CreateChannelAsync(Untracked);
        var log = new ConfirmLog(channel);

        await channel.PublishAsync("", queue, "fits");
        await channel.PublishAsync("", queue, "overflows");
        await channel.PublishAsync("", other, "elsewhere");
        await log.WaitForSettledAsync(3);

        Assert.Equal(new HashSet<ulong> { 2 }, log.Nacked);
        Assert.Equal(new HashSet<ulong> { 1, 3 }, log.Acked);
    }

    [Fact]
    public async Task Publish_to_missing_exchange_in_confirm_mode_closes_the_channel()
    {
        var channel = await Connection.CreateChannelAsync(Tracked);
        var exchange = ExchangeName();

        await channel.AssertAsyncChannelErrorAsync(404, $"NOT_FOUND - no exchange '{exchange}' in vhost '/'", () => channel.PublishAsync(exchange, "k", "m").AsTask());
    }

    [Fact]
    public async Task Tx_select_on_a_confirm_channel_is_precondition_failed()
    {
        var channel = await Connection.CreateChannelAsync(Untracked);

        var reason = await channel.AssertChannelErrorAsync(406, "PRECONDITION_FAILED - cannot switch from confirm to tx mode", () => channel.TxSelectAsync());

        Assert.Equal((90, 10), (reason.ClassId, reason.MethodId));
    }

    [Fact]
    public async Task Raw_confirm_select_after_tx_select_is_precondition_failed()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        await raw.SendMethodAsync(1, 90, 10);
        await raw.ExpectMethodAsync(1, 90, 11);

        await raw.SendMethodAsync(1, 85, 10, w => w.Bits(false));
        var close = await raw.ExpectChannelCloseAsync(1);

        Amqp.AssertReply(406, "PRECONDITION_FAILED - cannot switch from tx to confirm mode", close.ReplyCode, close.ReplyText);
        Assert.Equal((85, 10), (close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task Raw_confirm_select_is_idempotent_and_the_first_ack_is_tag_1()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");

        await raw.SendMethodAsync(1, 85, 10, w => w.Bits(false));
        await raw.ExpectMethodAsync(1, 85, 11);
        await raw.SendMethodAsync(1, 85, 10, w => w.Bits(false));
        await raw.ExpectMethodAsync(1, 85, 11);
        await raw.PublishAsync(1, "", queue, "m"u8.ToArray());
        var ack = await raw.ExpectMethodAsync(1, 60, 80);

        // RabbitMQ sends multiple=false for a lone confirm; multiple=true would mean the same here.
        Assert.Equal(1ul, ack.Arguments().ReadLongLong());
    }

    [Fact]
    public async Task Raw_confirm_select_nowait_gets_no_reply_but_publishes_are_acked()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");

        await raw.SendMethodAsync(1, 85, 10, w => w.Bits(true));
        await raw.PublishAsync(1, "", queue, "m"u8.ToArray());
        var ack = await raw.ExpectMethodAsync(1, 60, 80);

        Assert.Equal(1ul, ack.Arguments().ReadLongLong());
    }
    [Fact]
    public async Task Raw_confirms_come_before_close_ok_and_never_after_it()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(2);
        var queue = await raw.DeclareQueueAsync(2, "");
        await raw.OpenChannelAsync(1);
        await raw.SendMethodAsync(1, 85, 10, w => w.Bits(false));
        await raw.ExpectMethodAsync(1, 85, 11);

        // Publishes and the close back to back: acks may come, but only before close-ok.
        for (var i = 0; i < 50; i++)
        {
            await raw.PublishAsync(1, "", queue, "m"u8.ToArray());
        }

        await raw.SendMethodAsync(1, 20, 40, w => w.Short(200).ShortString("bye").Short(0).Short(0));
        while (true)
        {
            var frame = await raw.ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("socket closed before close-ok");
            if ((frame.Channel, frame.ClassId, frame.MethodId) == (1, 20, 41))
            {
                break;
            }

            Assert.Equal((1, 60, 80), (frame.Channel, frame.ClassId, frame.MethodId));
        }

        // The number is free again: the new channel hears nothing of the old one's publishes.
        await raw.OpenChannelAsync(1);
        try
        {
            var stray = await raw.ReadFrameAsync(Wait.Quiet);
            Assert.Fail($"after reopening the channel the broker sent {stray}");
        }
        catch (OperationCanceledException)
        {
        }
    }
}
