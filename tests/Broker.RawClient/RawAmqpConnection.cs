using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Broker.RawClient;

/// <summary>
/// A minimal AMQP 0-9-1 client whose frames are written by hand, over a socket or any duplex stream:
/// for what RabbitMQ.Client cannot send (channel.flow, basic.recover, immediate, bad frames), for
/// looking at exactly what the broker sends, and for conversations with an in-process connection over
/// in-memory pipes. Load generators take over its <see cref="Stream"/> after the handshake.
/// </summary>
public sealed class RawAmqpConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly IDisposable? _owner;
    private readonly RawConnectOptions _options;

    private RawAmqpConnection(Stream stream, IDisposable? owner, RawConnectOptions options)
    {
        _stream = stream;
        _owner = owner;
        _options = options;
    }

    /// <summary>The transport; after the handshake a load generator may read and write it directly.</summary>
    public Stream Stream => _stream;

    public byte VersionMajor { get; private set; }

    public byte VersionMinor { get; private set; }

    public IReadOnlyDictionary<string, object?> ServerProperties { get; private set; } = new Dictionary<string, object?>();

    public string Mechanisms { get; private set; } = "";

    public string Locales { get; private set; } = "";

    /// <summary>What the broker proposed in connection.tune.</summary>
    public (ushort ChannelMax, uint FrameMax, ushort Heartbeat) Tune { get; private set; }

    /// <summary>The frame_max this client answered in tune-ok.</summary>
    public uint FrameMax { get; private set; }

    /// <summary>
    /// Connects over TCP, authenticates with PLAIN using the URI's credentials (guest/guest without),
    /// answers tune with the given limits, and opens the URI's vhost unless told not to.
    /// </summary>
    public static async Task<RawAmqpConnection> ConnectAsync(Uri uri, RawConnectOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RawConnectOptions();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.ReceiveBufferSize > 0)
        {
            // Set before connecting, so the window the broker sees is small from the start.
            socket.ReceiveBufferSize = options.ReceiveBufferSize;
        }

        try
        {
            var port = uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port;
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(uri.Host, port, cancellationToken);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await HandshakeAsync(new NetworkStream(socket, ownsSocket: true), owner: null, uri, options);
    }

    /// <summary>The same handshake over any stream (e.g. in-memory pipes to a connection in this process).</summary>
    public static Task<RawAmqpConnection> ConnectAsync(Stream stream, Uri uri, RawConnectOptions? options = null, IDisposable? owner = null) =>
        HandshakeAsync(stream, owner, uri, options ?? new RawConnectOptions());

    /// <summary>Wraps a stream without a handshake: the caller sends the protocol header itself.</summary>
    public static RawAmqpConnection Attach(Stream stream, RawConnectOptions? options = null, IDisposable? owner = null) =>
        new(stream, owner, options ?? new RawConnectOptions());

    private static async Task<RawAmqpConnection> HandshakeAsync(Stream stream, IDisposable? owner, Uri uri, RawConnectOptions options)
    {
        var connection = new RawAmqpConnection(stream, owner, options);
        try
        {
            await connection.SendProtocolHeaderAsync();
            await connection.ExpectStartAsync();
            var (user, password) = Credentials(uri);
            await connection.SendStartOkAsync("PLAIN", Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
            await connection.ExpectTuneAsync();
            await connection.SendTuneOkAsync(options.ChannelMax, options.FrameMax, options.Heartbeat);
            if (options.Open)
            {
                await connection.OpenVirtualHostAsync(VirtualHost(uri));
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public Task SendProtocolHeaderAsync() => _stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray()).AsTask();

    /// <summary>Reads connection.start and keeps what it says.</summary>
    public async Task ExpectStartAsync()
    {
        var start = await ExpectMethodAsync(0, 10, 10);
        var args = start.Arguments();
        VersionMajor = args.ReadOctet();
        VersionMinor = args.ReadOctet();
        ServerProperties = args.ReadTable();
        Mechanisms = Encoding.UTF8.GetString(args.ReadLongString());
        Locales = Encoding.UTF8.GetString(args.ReadLongString());
    }

    public Task SendStartOkAsync(string mechanism, byte[] response)
    {
        var properties = new Dictionary<string, object?>
        {
            ["product"] = _options.Product,
            ["capabilities"] = new Dictionary<string, object?>(_options.Capabilities),
        };
        if (_options.ConnectionName is { } name)
        {
            properties["connection_name"] = name;
        }

        return SendMethodAsync(0, 10, 11, w => w.Table(properties).ShortString(mechanism).LongString(response).ShortString("en_US"));
    }

    /// <summary>Reads connection.tune and keeps what it proposes.</summary>
    public async Task ExpectTuneAsync()
    {
        var tune = (await ExpectMethodAsync(0, 10, 30)).Arguments();
        Tune = (tune.ReadShort(), tune.ReadLong(), tune.ReadShort());
    }

    /// <summary>tune-ok; 0 for channel_max or frame_max accepts what the broker proposed.</summary>
    public Task SendTuneOkAsync(ushort channelMax, uint frameMax, ushort heartbeat)
    {
        FrameMax = frameMax == 0 ? Tune.FrameMax : frameMax;
        return SendMethodAsync(0, 10, 31, w => w.Short(channelMax == 0 ? Tune.ChannelMax : channelMax).Long(FrameMax).Short(heartbeat));
    }

    public async Task OpenVirtualHostAsync(string virtualHost)
    {
        await SendMethodAsync(0, 10, 40, w => w.ShortString(virtualHost).ShortString("").Bits(false));
        await ExpectMethodAsync(0, 10, 41);
    }

    /// <summary>Sends one method frame; <paramref name="arguments"/> writes the method's fields.</summary>
    public async Task SendMethodAsync(ushort channel, ushort classId, ushort methodId, Action<RawWriter>? arguments = null)
    {
        var writer = new RawWriter().Short(classId).Short(methodId);
        arguments?.Invoke(writer);
        await SendFrameAsync(RawFrame.MethodType, channel, writer.ToArray());
    }

    /// <summary>Sends a content header (no properties, unless given) and the body split into frames of the negotiated size.</summary>
    public async Task SendContentAsync(ushort channel, byte[] body, byte[]? properties = null)
    {
        var header = new RawWriter().Short(60).Short(0).LongLong((ulong)body.Length).Bytes(properties ?? [0, 0]).ToArray();
        await SendFrameAsync(RawFrame.HeaderType, channel, header);
        var chunk = (int)FrameMax - 8;
        for (var offset = 0; offset < body.Length; offset += chunk)
        {
            await SendFrameAsync(RawFrame.BodyType, channel, body[offset..Math.Min(body.Length, offset + chunk)]);
        }
    }

    /// <summary>Sends a raw frame with any payload (also used to send deliberately bad frames).</summary>
    public async Task SendFrameAsync(byte type, ushort channel, byte[] payload, byte frameEnd = RawWriter.FrameEnd)
    {
        var frame = new byte[payload.Length + 8];
        frame[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)payload.Length);
        payload.CopyTo(frame, 7);
        frame[^1] = frameEnd;
        await SendBytesAsync(frame);
    }

    /// <summary>Sends bytes as they are: partial frames, garbage.</summary>
    public async Task SendBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>
    /// Reads the next frame, or null if the broker closed the transport. Heartbeats are skipped unless
    /// <paramref name="includeHeartbeats"/>.
    /// </summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan? timeout = null, bool includeHeartbeats = false)
    {
        using var cts = new CancellationTokenSource(timeout ?? _options.Timeout);
        while (true)
        {
            var header = new byte[7];
            if (!await ReadExactlyAsync(header, cts.Token))
            {
                return null;
            }

            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(3));
            var payload = new byte[size + 1];
            if (!await ReadExactlyAsync(payload, cts.Token))
            {
                return null;
            }

            if (payload[^1] != RawWriter.FrameEnd)
            {
                throw new RawProtocolException($"frame of type {header[0]} does not end with 0xCE");
            }

            if (header[0] == RawFrame.HeartbeatType && !includeHeartbeats)
            {
                continue;
            }

            return new RawFrame(header[0], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1)), payload[..^1]);
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>
    /// Reads frames until the expected method arrives on the channel, skipping nothing else: any other
    /// frame fails (a close from the broker is reported with its code and text).
    /// </summary>
    public async Task<RawFrame> ExpectMethodAsync(ushort channel, ushort classId, ushort methodId)
    {
        var frame = await ReadFrameAsync() ?? throw new RawProtocolException($"the broker closed the transport while {classId}.{methodId} was expected");
        if (frame.Channel == channel && frame.IsMethod(classId, methodId))
        {
            return frame;
        }

        if (frame.IsMethod(10, 50) || frame.IsMethod(20, 40))
        {
            var close = RawClose.Read(frame);
            throw new RawCloseException($"expected {classId}.{methodId} but the broker closed: {close}", close);
        }

        throw new RawProtocolException($"expected {classId}.{methodId} on channel {channel} but got {frame}");
    }

    /// <summary>Waits for connection.close from the broker, answers close-ok, and returns code and text.</summary>
    public async Task<RawClose> ExpectConnectionCloseAsync()
    {
        var frame = await ExpectMethodAsync(0, 10, 50);
        await SendMethodAsync(0, 10, 51);
        return RawClose.Read(frame);
    }

    /// <summary>Waits for channel.close from the broker, answers close-ok, and returns code and text.</summary>
    public async Task<RawClose> ExpectChannelCloseAsync(ushort channel)
    {
        var frame = await ExpectMethodAsync(channel, 20, 40);
        await SendMethodAsync(channel, 20, 41);
        return RawClose.Read(frame);
    }

    public async Task OpenChannelAsync(ushort channel)
    {
        await SendMethodAsync(channel, 20, 10, w => w.ShortString(""));
        await ExpectMethodAsync(channel, 20, 11);
    }

    /// <summary>queue.declare (non-durable, exclusive when asked) and returns the queue name.</summary>
    public async Task<string> DeclareQueueAsync(ushort channel, string name, bool exclusive = true)
    {
        await SendMethodAsync(channel, 50, 10, w => w.Short(0).ShortString(name).Bits(false, false, exclusive, false, false).Table(null));
        var ok = await ExpectMethodAsync(channel, 50, 11);
        return ok.Arguments().ReadShortString();
    }

    /// <summary>exchange.declare (non-durable) and waits for declare-ok.</summary>
    public async Task DeclareExchangeAsync(ushort channel, string name, string type, bool @internal = false, bool autoDelete = false)
    {
        await SendMethodAsync(channel, 40, 10, w => w.Short(0).ShortString(name).ShortString(type).Bits(false, false, autoDelete, @internal, false).Table(null));
        await ExpectMethodAsync(channel, 40, 11);
    }

    /// <summary>basic.consume with a server-generated tag; waits for consume-ok.</summary>
    public async Task ConsumeAsync(ushort channel, string queue, bool noAck)
    {
        await SendMethodAsync(channel, 60, 20, w => w.Short(0).ShortString(queue).ShortString("").Bits(false, noAck, false, false).Table(null));
        await ExpectMethodAsync(channel, 60, 21);
    }

    /// <summary>basic.publish of a body through the given exchange.</summary>
    public async Task PublishAsync(ushort channel, string exchange, string routingKey, byte[] body, bool mandatory = false, bool immediate = false)
    {
        await SendMethodAsync(channel, 60, 40, w => w.Short(0).ShortString(exchange).ShortString(routingKey).Bits(mandatory, immediate));
        await SendContentAsync(channel, body);
    }

    /// <summary>Reads a basic.deliver and its content; returns delivery tag, redelivered and body.</summary>
    public async Task<(ulong DeliveryTag, bool Redelivered, byte[] Body)> ExpectDeliveryAsync(ushort channel)
    {
        var method = await ExpectMethodAsync(channel, 60, 60);
        var args = method.Arguments();
        args.ReadShortString();
        var tag = args.ReadLongLong();
        var redelivered = (args.ReadOctet() & 1) != 0;
        var body = await ReadContentAsync(channel);
        return (tag, redelivered, body);
    }

    /// <summary>Reads a content header and its body frames.</summary>
    public async Task<byte[]> ReadContentAsync(ushort channel)
    {
        var header = await ReadFrameAsync() ?? throw new RawProtocolException("the broker closed the transport before the content header");
        if ((header.Type, header.Channel) != (RawFrame.HeaderType, channel))
        {
            throw new RawProtocolException($"expected a content header on channel {channel} but got {header}");
        }

        var size = BinaryPrimitives.ReadUInt64BigEndian(header.Payload.AsSpan(4));
        var body = new List<byte>();
        while ((ulong)body.Count < size)
        {
            var frame = await ReadFrameAsync() ?? throw new RawProtocolException("the broker closed the transport inside a body");
            if ((frame.Type, frame.Channel) != (RawFrame.BodyType, channel))
            {
                throw new RawProtocolException($"expected a content body on channel {channel} but got {frame}");
            }

            body.AddRange(frame.Payload);
        }

        return [.. body];
    }

    /// <summary>Whether the broker closed the transport (reads until its end or the timeout).</summary>
    public async Task<bool> TransportClosedAsync(TimeSpan timeout)
    {
        try
        {
            while (await ReadFrameAsync(timeout) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task CloseAsync()
    {
        await SendMethodAsync(0, 10, 50, w => w.Short(200).ShortString("bye").Short(0).Short(0));
        await ExpectMethodAsync(0, 10, 51);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _owner?.Dispose();
    }

    private static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return ("guest", "guest");
        }

        var parts = uri.UserInfo.Split(':', 2);
        return (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }

    private static string VirtualHost(Uri uri) => uri.AbsolutePath is "" or "/" ? "/" : Uri.UnescapeDataString(uri.AbsolutePath[1..]);
}
