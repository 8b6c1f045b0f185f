namespace Broker.Server.Tests;

/// <summary>Content assembly: method, then header, then body frames, and RabbitMQ's 505 (or 501) for anything else.</summary>
public sealed class ContentAssemblyTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new();
    private RawAmqpConnection _client = null!;

    public async Task InitializeAsync()
    {
        _client = (await _server.ConnectAsync(new RawConnectOptions { FrameMax = 4096 })).Client;
        await _client.OpenChannelAsync(1);
        await _client.DeclareQueueAsync(1, "q");
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task A_body_split_over_many_frames_arrives_whole()
    {
        var body = new byte[20_000];
        Random.Shared.NextBytes(body);
        await _client.PublishAsync(1, "", "q", body);

        await _client.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("q").Bits(true));
        await _client.ExpectMethodAsync(1, 60, 71);
        Assert.Equal(body, await _client.ReadContentAsync(1));
    }

    [Fact]
    public async Task A_body_frame_before_the_header_is_505()
    {
        await SendPublishMethodAsync();

        await _client.SendFrameAsync(RawFrame.BodyType, 1, [1, 2, 3]);

        Assert.Equal(new RawClose(505, "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead", 60, 40), await _client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_method_where_the_body_belongs_is_505()
    {
        await SendPublishMethodAsync();
        await SendHeaderAsync(bodySize: 10);

        await _client.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("q").Bits(true));

        Assert.Equal(new RawClose(505, "UNEXPECTED_FRAME - expected content body, got non content body frame instead", 60, 40), await _client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_header_or_body_with_no_publish_before_it_is_505()
    {
        await SendHeaderAsync(bodySize: 1);

        Assert.Equal(new RawClose(505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0), await _client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_header_for_another_class_is_505()
    {
        await SendPublishMethodAsync();

        await _client.SendFrameAsync(RawFrame.HeaderType, 1, new RawWriter().Short(50).Short(0).LongLong(1).Short(0).ToArray());

        Assert.Equal(new RawClose(505, "UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead", 60, 40), await _client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task More_body_than_the_header_announced_is_501()
    {
        await SendPublishMethodAsync();
        await SendHeaderAsync(bodySize: 2);

        await _client.SendFrameAsync(RawFrame.BodyType, 1, [1, 2, 3]);

        Assert.Equal(new RawClose(501, "FRAME_ERROR - content body frame exceeds the size announced in the content header", 60, 40), await _client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task Frames_of_two_channels_interleave_without_mixing_their_content()
    {
        await _client.OpenChannelAsync(2);
        await SendPublishMethodAsync(channel: 1);
        await SendPublishMethodAsync(channel: 2);
        await SendHeaderAsync(bodySize: 2, channel: 2);
        await SendHeaderAsync(bodySize: 2, channel: 1);
        await _client.SendFrameAsync(RawFrame.BodyType, 2, [2]);
        await _client.SendFrameAsync(RawFrame.BodyType, 1, [1]);
        await _client.SendFrameAsync(RawFrame.BodyType, 2, [2]);
        await _client.SendFrameAsync(RawFrame.BodyType, 1, [1]);

        var bodies = new List<byte[]>();
        for (var i = 0; i < 2; i++)
        {
            await _client.SendMethodAsync(1, 60, 70, w => w.Short(0).ShortString("q").Bits(true));
            await _client.ExpectMethodAsync(1, 60, 71);
            bodies.Add(await _client.ReadContentAsync(1));
        }

        Assert.Equal([[2, 2], [1, 1]], bodies);
    }

    private Task SendPublishMethodAsync(ushort channel = 1) =>
        _client.SendMethodAsync(channel, 60, 40, w => w.Short(0).ShortString("").ShortString("q").Bits(false, false));

    private Task SendHeaderAsync(ulong bodySize, ushort channel = 1) =>
        _client.SendFrameAsync(RawFrame.HeaderType, channel, new RawWriter().Short(60).Short(0).LongLong(bodySize).Short(0).ToArray());
}
