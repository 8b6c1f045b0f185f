using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Broker.IntegrationTests.Helpers;

/// <summary>One frame read from the socket; for method frames <see cref="ClassId"/>/<see cref="MethodId"/> are set.</summary>
public sealed record RawFrame(byte Type, ushort Channel, byte[] Payload)
{
    public const byte MethodType = 1;
    public const byte HeaderType = 2;
    public const byte BodyType = 3;
    public const byte HeartbeatType = 8;

    public ushort ClassId => Type == MethodType ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : (ushort)0;

    public ushort MethodId => Type == MethodType ? BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(2)) : (ushort)0;

    /// <summary>A reader positioned after the class and method ids.</summary>
    public AmqpReader Arguments() => new(Payload, 4);

    public override string ToString() => Type == MethodType ? $"method {ClassId}.{MethodId} on channel {Channel}" : $"frame type {Type} on channel {Channel}";
}

/// <summary>A connection.close or channel.close received from the broker.</summary>
public sealed record RawClose(ushort ReplyCode, string ReplyText, ushort ClassId, ushort MethodId);

/// <summary>Thrown when the broker closes the channel or connection while the test expected another method.</summary>
public sealed class RawCloseException(string message, RawClose close) : Exception(message)
{
    public RawClose Close { get; } = close;
}

/// <summary>
/// A minimal AMQP 0-9-1 client over a raw socket, for the few methods RabbitMQ.Client 7 cannot send
/// (channel.flow, basic.recover, basic.publish with immediate, confirm.select on an open channel, a second
/// channel.open) and for looking at exactly what the broker sends during the handshake.
/// </summary>
public sealed class RawAmqpConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawAmqpConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

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
    /// Connects, authenticates with PLAIN using the URI's credentials, answers tune with the given limits
    /// (0 = accept the broker's), and opens the URI's vhost unless <paramref name="open"/> is false.
    /// </summary>
    public static async Task<RawAmqpConnection> ConnectAsync(Uri uri, ushort channelMax = 0, uint frameMax = 0, bool open = true, int receiveBufferSize = 0)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferSize > 0)
        {
            // Set before connecting, so the window the broker sees is small from the start.
            tcp.ReceiveBufferSize = receiveBufferSize;
        }

        await tcp.ConnectAsync(uri.Host, uri.Port);
        var connection = new RawAmqpConnection(tcp);
        try
        {
            await connection.HandshakeAsync(uri, channelMax, frameMax, open);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task HandshakeAsync(Uri uri, ushort channelMax, uint frameMax, bool open)
    {
        await _stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray());
        var start = await ExpectMethodAsync(0, 10, 10);
        var args = start.Arguments();
        VersionMajor = args.ReadOctet();
        VersionMinor = args.ReadOctet();
        ServerProperties = args.ReadTable();
        Mechanisms = Encoding.UTF8.GetString(args.ReadLongString());
        Locales = Encoding.UTF8.GetString(args.ReadLongString());

        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        var password = Uri.UnescapeDataString(uri.UserInfo.Split(':').ElementAtOrDefault(1) ?? "");
        await SendMethodAsync(0, 10, 11, w => w
            .Table(new Dictionary<string, object?>
            {
                ["product"] = "raw-test-client",
                ["capabilities"] = new Dictionary<string, object?> { ["consumer_cancel_notify"] = true },
            })
            .ShortString("PLAIN")
            .LongString(Encoding.UTF8.GetBytes($"\0{user}\0{password}"))
            .ShortString("en_US"));

        var tune = await ExpectMethodAsync(0, 10, 30);
        var t = tune.Arguments();
        Tune = (t.ReadShort(), t.ReadLong(), t.ReadShort());
        FrameMax = frameMax == 0 ? Tune.FrameMax : frameMax;
        await SendMethodAsync(0, 10, 31, w => w.Short(channelMax == 0 ? Tune.ChannelMax : channelMax).Long(FrameMax).Short(0));
        if (open)
        {
            var vhost = uri.AbsolutePath.Length <= 1 ? "/" : Uri.UnescapeDataString(uri.AbsolutePath[1..]);
            await SendMethodAsync(0, 10, 40, w => w.ShortString(vhost).ShortString("").Bits(false));
            await ExpectMethodAsync(0, 10, 41);
        }
    }

    /// <summary>Sends one method frame; <paramref name="arguments"/> writes the method's fields.</summary>
    public async Task SendMethodAsync(ushort channel, ushort classId, ushort methodId, Action<AmqpWriter>? arguments = null)
    {
        var writer = new AmqpWriter().Short(classId).Short(methodId);
        arguments?.Invoke(writer);
        await SendFrameAsync(RawFrame.MethodType, channel, writer.ToArray());
    }

    /// <summary>Sends a content header (no properties) and the body split into frames of the negotiated size.</summary>
    public async Task SendContentAsync(ushort channel, byte[] body)
    {
        var header = new AmqpWriter().Short(60).Short(0).LongLong((ulong)body.Length).Short(0).ToArray();
        await SendFrameAsync(RawFrame.HeaderType, channel, header);
        var chunk = (int)FrameMax - 8;
        for (var offset = 0; offset < body.Length; offset += chunk)
        {
            await SendFrameAsync(RawFrame.BodyType, channel, body[offset..Math.Min(body.Length, offset + chunk)]);
        }
    }

    /// <summary>Sends a raw frame with any payload (also used to send deliberately bad frames).</summary>
    public async Task SendFrameAsync(byte type, ushort channel, byte[] payload)
    {
        var frame = new byte[payload.Length + 8];
        frame[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)payload.Length);
        payload.CopyTo(frame, 7);
        frame[^1] = 0xCE;
        await _stream.WriteAsync(frame);
    }

    /// <summary>Reads the next non-heartbeat frame, or null if the broker closed the socket.</summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait.Delivery);
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

            Assert.Equal(0xCE, payload[^1]);
            if (header[0] == RawFrame.HeartbeatType)
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
    /// Reads frames until the expected method arrives on the channel, skipping nothing else: any other method
    /// fails the test (a close from the broker is reported with its code and text).
    /// </summary>
    public async Task<RawFrame> ExpectMethodAsync(ushort channel, ushort classId, ushort methodId)
    {
        var frame = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException($"socket closed while waiting for {classId}.{methodId}");
        if (frame.Type == RawFrame.MethodType && frame.Channel == channel && frame.ClassId == classId && frame.MethodId == methodId)
        {
            return frame;
        }

        if (frame.Type == RawFrame.MethodType && (frame.ClassId, frame.MethodId) is (10, 50) or (20, 40))
        {
            var close = ReadClose(frame);
            throw new RawCloseException($"expected {classId}.{methodId} but the broker closed: {close}", close);
        }

        throw new Xunit.Sdk.XunitException($"expected {classId}.{methodId} on channel {channel} but got {frame}");
    }

    /// <summary>Waits for connection.close from the broker, answers close-ok, and returns code and text.</summary>
    public async Task<RawClose> ExpectConnectionCloseAsync()
    {
        var frame = await ExpectMethodAsync(0, 10, 50);
        await SendMethodAsync(0, 10, 51);
        return ReadClose(frame);
    }

    /// <summary>Waits for channel.close from the broker, answers close-ok, and returns code and text.</summary>
    public async Task<RawClose> ExpectChannelCloseAsync(ushort channel)
    {
        var frame = await ExpectMethodAsync(channel, 20, 40);
        await SendMethodAsync(channel, 20, 41);
        return ReadClose(frame);
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

    /// <summary>Reads a basic.deliver (or get-ok) and its content; returns delivery tag, redelivered and body.</summary>
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
        var header = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("socket closed before the content header");
        Assert.Equal((RawFrame.HeaderType, channel), (header.Type, header.Channel));
        var size = BinaryPrimitives.ReadUInt64BigEndian(header.Payload.AsSpan(4));
        var body = new List<byte>();
        while ((ulong)body.Count < size)
        {
            var frame = await ReadFrameAsync() ?? throw new Xunit.Sdk.XunitException("socket closed inside a body");
            Assert.Equal((RawFrame.BodyType, channel), (frame.Type, frame.Channel));
            body.AddRange(frame.Payload);
        }

        return [.. body];
    }

    /// <summary>Whether the broker closed the TCP connection (reads until end of stream or timeout).</summary>
    public async Task<bool> SocketClosedAsync(TimeSpan timeout)
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

    private static RawClose ReadClose(RawFrame frame)
    {
        var args = frame.Arguments();
        return new RawClose(args.ReadShort(), args.ReadShortString(), args.ReadShort(), args.ReadShort());
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Big-endian AMQP field writer.</summary>
public sealed class AmqpWriter
{
    private readonly MemoryStream _buffer = new();

    public AmqpWriter Octet(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    public AmqpWriter Short(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    public AmqpWriter Long(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    public AmqpWriter LongLong(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    public AmqpWriter ShortString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Octet((byte)bytes.Length);
        _buffer.Write(bytes);
        return this;
    }

    public AmqpWriter LongString(byte[] value)
    {
        Long((uint)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Packs consecutive bit fields into one octet, first bit lowest.</summary>
    public AmqpWriter Bits(params bool[] bits)
    {
        byte value = 0;
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                value |= (byte)(1 << i);
            }
        }

        return Octet(value);
    }

    /// <summary>A field table of strings, booleans, ints and nested tables.</summary>
    public AmqpWriter Table(IDictionary<string, object?>? table)
    {
        var inner = new AmqpWriter();
        foreach (var (key, value) in table ?? new Dictionary<string, object?>())
        {
            inner.ShortString(key);
            switch (value)
            {
                case string s:
                    inner.Octet((byte)'S').LongString(Encoding.UTF8.GetBytes(s));
                    break;
                case bool b:
                    inner.Octet((byte)'t').Octet(b ? (byte)1 : (byte)0);
                    break;
                case int i:
                    inner.Octet((byte)'I').Long((uint)i);
                    break;
                case IDictionary<string, object?> nested:
                    inner.Octet((byte)'F').Table(nested);
                    break;
                default:
                    throw new NotSupportedException(value?.GetType().Name);
            }
        }

        var bytes = inner.ToArray();
        Long((uint)bytes.Length);
        _buffer.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();
}

/// <summary>Big-endian AMQP field reader over a method payload.</summary>
public sealed class AmqpReader(byte[] buffer, int position)
{
    private int _position = position;

    public byte ReadOctet() => buffer[_position++];

    public ushort ReadShort()
    {
        var v = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_position));
        _position += 2;
        return v;
    }

    public uint ReadLong()
    {
        var v = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(_position));
        _position += 4;
        return v;
    }

    public ulong ReadLongLong()
    {
        var v = BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(_position));
        _position += 8;
        return v;
    }

    public string ReadShortString()
    {
        var length = ReadOctet();
        var s = Encoding.UTF8.GetString(buffer, _position, length);
        _position += length;
        return s;
    }

    public byte[] ReadLongString()
    {
        var length = (int)ReadLong();
        var bytes = buffer[_position..(_position + length)];
        _position += length;
        return bytes;
    }

    public Dictionary<string, object?> ReadTable()
    {
        var length = (int)ReadLong();
        var end = _position + length;
        var table = new Dictionary<string, object?>();
        while (_position < end)
        {
            var key = ReadShortString();
            table[key] = ReadFieldValue();
        }

        return table;
    }

    private object? ReadFieldValue()
    {
        var type = (char)ReadOctet();
        switch (type)
        {
            case 'S':
                return Encoding.UTF8.GetString(ReadLongString());
            case 't':
                return ReadOctet() != 0;
            case 'b':
                return (sbyte)ReadOctet();
            case 'B':
                return ReadOctet();
            case 's':
                return (short)ReadShort();
            case 'u':
                return ReadShort();
            case 'I':
                return (int)ReadLong();
            case 'i':
                return ReadLong();
            case 'l':
                return (long)ReadLongLong();
            case 'T':
                return ReadLongLong();
            case 'f':
                return BitConverter.Int32BitsToSingle((int)ReadLong());
            case 'd':
                return BitConverter.Int64BitsToDouble((long)ReadLongLong());
            case 'D':
                var scale = ReadOctet();
                return (scale, (int)ReadLong());
            case 'F':
                return ReadTable();
            case 'A':
                var length = (int)ReadLong();
                var end = _position + length;
                var list = new List<object?>();
                while (_position < end)
                {
                    list.Add(ReadFieldValue());
                }

                return list;
            case 'x':
                return ReadLongString();
            case 'V':
                return null;
            default:
                throw new NotSupportedException($"field type '{type}'");
        }
    }
}
