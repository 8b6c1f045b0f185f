using System.Text;

namespace Broker.Server.Tests;

/// <summary>The handshake as RabbitMQ conducts it: start, start-ok, tune, tune-ok, open, and each way it can go wrong.</summary>
public sealed class HandshakeTests : IAsyncLifetime
{
    private readonly ServerHarness _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Fact]
    public async Task Start_tune_and_open_carry_RabbitMQs_values()
    {
        var conversation = await _server.ConnectAsync();
        var client = conversation.Client;

        Assert.Equal((0, 9), (client.VersionMajor, client.VersionMinor));
        Assert.Equal("AMQPLAIN PLAIN", client.Mechanisms);
        Assert.Equal("en_US", client.Locales);
        Assert.Equal("Broker", client.ServerProperties["product"]);
        var capabilities = Assert.IsType<Dictionary<string, object?>>(client.ServerProperties["capabilities"]);
        foreach (var capability in (string[])["publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify", "connection.blocked", "authentication_failure_close", "per_consumer_qos", "direct_reply_to"])
        {
            Assert.Equal(true, capabilities[capability]);
        }

        Assert.Equal(((ushort)2047, 131072u, (ushort)60), client.Tune);
        Assert.True(conversation.Connection.IsOpen);
    }

    [Fact]
    public async Task Another_protocol_header_gets_ours_back_and_the_transport_closed()
    {
        var conversation = await _server.ConnectAsync(handshake: false);

        await conversation.Client.SendBytesAsync("AMQP\0\0\x0A\x00"u8.ToArray());

        var reply = new byte[8];
        await conversation.Client.Stream.ReadExactlyAsync(reply);
        Assert.Equal("AMQP\0\0\x09\x01"u8.ToArray(), reply);
        await conversation.ExpectEndAsync();
    }

    [Fact]
    public async Task An_unknown_mechanism_is_503()
    {
        var client = (await _server.ConnectAsync(handshake: false)).Client;
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();

        await client.SendStartOkAsync("EXTERNAL", []);

        Assert.Equal(new RawClose(503, "COMMAND_INVALID - unknown authentication mechanism 'EXTERNAL'", 10, 11), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task Bad_credentials_close_the_transport_without_a_word_unless_the_client_asked_for_one()
    {
        var silent = await _server.ConnectAsync(handshake: false);
        await LogInAsync(silent.Client, "guest", "wrong");
        await silent.ExpectEndAsync();

        var told = await _server.ConnectAsync(new RawConnectOptions { Capabilities = new Dictionary<string, object?> { ["authentication_failure_close"] = true } }, handshake: false);
        await LogInAsync(told.Client, "guest", "wrong");
        var close = await told.Client.ExpectMethodAsync(0, 10, 50);
        Assert.Equal(new RawClose(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.", 0, 0), RawClose.Read(close));
        await told.ExpectEndAsync();
    }

    [Theory]
    [InlineData(4095u, "NOT_ALLOWED - negotiated frame_max = 4095 is lower than the minimum allowed value (4096)")]
    [InlineData(131073u, "NOT_ALLOWED - negotiated frame_max = 131073 is higher than the maximum allowed value (131072)")]
    public async Task A_frame_max_out_of_bounds_is_530(uint frameMax, string text)
    {
        var client = (await _server.ConnectAsync(handshake: false)).Client;
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();
        await client.SendStartOkAsync("PLAIN", Encoding.UTF8.GetBytes("\0guest\0guest"));
        await client.ExpectTuneAsync();

        await client.SendTuneOkAsync(0, frameMax, 0);

        Assert.Equal(new RawClose(530, text, 10, 31), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task An_unknown_vhost_is_530()
    {
        var client = (await _server.ConnectAsync(new RawConnectOptions { Open = false })).Client;

        await client.SendMethodAsync(0, 10, 40, w => w.ShortString("nowhere").ShortString("").Bits(false));

        Assert.Equal(new RawClose(530, "NOT_ALLOWED - vhost nowhere not found", 10, 40), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_method_out_of_order_is_504()
    {
        var client = (await _server.ConnectAsync(handshake: false)).Client;
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();

        await client.SendMethodAsync(0, 10, 40, w => w.ShortString("/").ShortString("").Bits(false));

        Assert.Equal(new RawClose(504, "CHANNEL_ERROR - unexpected method in connection state starting", 10, 40), await client.ExpectConnectionCloseAsync());
    }

    [Fact]
    public async Task A_malformed_client_properties_table_is_502()
    {
        var client = (await _server.ConnectAsync(handshake: false)).Client;
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();

        // A table whose one entry has the unknown field type 'Z'.
        await client.SendMethodAsync(0, 10, 11, w => w.Long(3).ShortString("k").Octet((byte)'Z').ShortString("PLAIN").LongString("\0guest\0guest"u8).ShortString("en_US"));

        var close = await client.ExpectConnectionCloseAsync();
        Assert.Equal(502, close.ReplyCode);
        Assert.StartsWith("SYNTAX_ERROR - ", close.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handshake_not_finished_in_ten_seconds_is_dropped()
    {
        var conversation = await _server.ConnectAsync(new RawConnectOptions { Open = false });

        _server.Tick(TimeSpan.FromSeconds(9));
        Assert.False(conversation.Run.IsCompleted);
        _server.Tick(TimeSpan.FromSeconds(2));

        await conversation.ExpectEndAsync();
    }

    [Fact]
    public async Task The_channel_max_is_enforced_with_530()
    {
        var client = (await _server.ConnectAsync(new RawConnectOptions { ChannelMax = 2 })).Client;
        await client.OpenChannelAsync(1);
        await client.OpenChannelAsync(2);

        await client.SendMethodAsync(3, 20, 10, w => w.ShortString(""));

        Assert.Equal(new RawClose(530, "NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)", 20, 10), await client.ExpectConnectionCloseAsync());
    }

    private static async Task LogInAsync(RawAmqpConnection client, string user, string password)
    {
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();
        await client.SendStartOkAsync("PLAIN", Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
    }
}
