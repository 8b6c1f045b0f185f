using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// A consumer that subscribes with no-ack and then never reads its socket again: the client a broker must
/// not buffer for without bound. Speaks just enough AMQP over a raw socket (RabbitMQ.Client always reads).
/// </summary>
public sealed class StalledConsumer : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private StalledConsumer(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects as guest, opens channel 1, starts a no-ack consumer on the queue and stops reading.</summary>
    public static async Task<StalledConsumer> SubscribeAsync(Uri uri, string queue)
    {
        // A small receive buffer, so the kernel holds little on our side and the broker's output fills quickly.
        var tcp = new TcpClient { ReceiveBufferSize = 16 * 1024, NoDelay = true };
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var consumer = new StalledConsumer(tcp);
        try
        {
            await consumer.HandshakeAsync(queue);
            return consumer;
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    private async Task HandshakeAsync(string queue)
    {
        await _stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray());
        await ExpectAsync(10, 10);
        var response = Encoding.ASCII.GetBytes("\0guest\0guest");
        await SendMethodAsync(0, 10, 11, [.. Long(0), .. ShortString("PLAIN"), .. Long((uint)response.Length), .. response, .. ShortString("en_US")]);
        await ExpectAsync(10, 30);

        // tune-ok: channel_max 1, frame_max 131072, heartbeat 0 (the broker must not drop us for silence).
        await SendMethodAsync(0, 10, 31, [.. Short(1), .. Long(131072), .. Short(0)]);
        await SendMethodAsync(0, 10, 40, [.. ShortString("/"), .. ShortString(""), 0]);
        await ExpectAsync(10, 41);
        await SendMethodAsync(1, 20, 10, ShortString(""));
        await ExpectAsync(20, 11);

        // basic.consume: reserved, queue, consumer tag "", flags no-local 0, no-ack 1, exclusive 0, no-wait 0; no arguments.
        await SendMethodAsync(1, 60, 20, [.. Short(0), .. ShortString(queue), .. ShortString(""), 0b10, .. Long(0)]);
        await ExpectAsync(60, 21);
    }

    private async Task SendMethodAsync(ushort channel, ushort classId, ushort methodId, byte[] arguments)
    {
        var frame = new byte[12 + arguments.Length];
        frame[0] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)(4 + arguments.Length));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(7), classId);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(9), methodId);
        arguments.CopyTo(frame, 11);
        frame[^1] = 0xCE;
        await _stream.WriteAsync(frame);
    }

    /// <summary>Reads frames (skipping heartbeats) until the given method; anything else is a failure.</summary>
    private async Task ExpectAsync(ushort classId, ushort methodId)
    {
        using var timeout = new CancellationTokenSource(Amqp.Patience);
        while (true)
        {
            var header = new byte[7];
            await _stream.ReadExactlyAsync(header, timeout.Token);
            var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(3)) + 1];
            await _stream.ReadExactlyAsync(payload, timeout.Token);
            if (header[0] == 8)
            {
                continue;
            }

            var (actualClass, actualMethod) = (BinaryPrimitives.ReadUInt16BigEndian(payload), BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(2)));
            if (header[0] != 1 || (actualClass, actualMethod) != (classId, methodId))
            {
                throw new InvalidOperationException($"expected method {classId}.{methodId}, got frame type {header[0]} method {actualClass}.{actualMethod}");
            }

            return;
        }
    }

    private static byte[] Short(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Long(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] ShortString(string value) => [(byte)value.Length, .. Encoding.UTF8.GetBytes(value)];

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
