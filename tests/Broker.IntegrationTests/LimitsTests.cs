using Broker.IntegrationTests.Helpers;
using Broker.RawClient;

namespace Broker.IntegrationTests;

/// <summary>Protocol limits and unsupported flags, sent with the raw client where RabbitMQ.Client cannot.</summary>
public sealed class LimitsTests(BrokerFixture fixture) : BrokerTestBase(fixture), IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Raw_publish_with_immediate_is_not_implemented()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");

        await raw.PublishAsync(1, "", queue, "now"u8.ToArray(), immediate: true);
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(540, "NOT_IMPLEMENTED - immediate=true", close.ReplyCode, close.ReplyText);
        Assert.Equal((60, 40), (close.ClassId, close.MethodId));
    }

    [Fact]
    public async Task Raw_frame_larger_than_frame_max_is_a_frame_error()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri, new RawConnectOptions { FrameMax = 4096 });
        await raw.OpenChannelAsync(1);
        var queue = await raw.DeclareQueueAsync(1, "");
        await raw.SendMethodAsync(1, 60, 40, w => w.Short(0).ShortString("").ShortString(queue).Bits(false, false));
        await raw.SendFrameAsync(2, 1, new RawWriter().Short(60).Short(0).LongLong(10000).Short(0).ToArray());

        await raw.SendFrameAsync(3, 1, new byte[10000]);
        var close = await raw.ExpectConnectionCloseAsync();

        // RabbitMQ compares the payload size with frame_max - 8 (the frame overhead) and formats the Erlang terms.
        Amqp.AssertReply(501, "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,10000,4088}", close.ReplyCode, close.ReplyText);
    }

    [Fact]
    public async Task Raw_content_body_before_header_is_unexpected_frame()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendFrameAsync(3, 1, "stray body"u8.ToArray());
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", close.ReplyCode, close.ReplyText);
    }

    [Fact]
    public async Task Raw_method_instead_of_content_header_is_unexpected_frame()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);
        await raw.SendMethodAsync(1, 60, 40, w => w.Short(0).ShortString("").ShortString("q").Bits(false, false));

        await raw.SendMethodAsync(1, 50, 10, w => w.Short(0).ShortString("").Bits(false, false, true, true, false).Table(null));
        var close = await raw.ExpectConnectionCloseAsync();

        Amqp.AssertReply(505, "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead", close.ReplyCode, close.ReplyText);
    }

    [Fact]
    public async Task Raw_unknown_method_ends_the_connection()
    {
        await using var raw = await RawAmqpConnection.ConnectAsync(Fixture.Uri);
        await raw.OpenChannelAsync(1);

        await raw.SendMethodAsync(1, 60, 999);
        var frame = await raw.ReadFrameAsync();

        // RabbitMQ 3.10 drops the TCP connection without connection.close (its reader exits with
        // unknown_method_id); a hard-error connection.close would serve clients equally well.
        if (frame is not null)
        {
            Assert.Equal((10, 50), (frame.ClassId, frame.MethodId));
            Assert.True(frame.Arguments().ReadShort() >= 500, "a hard error code");
        }
    }
}
