using System.Buffers.Binary;
using Broker.RawClient;

namespace Broker.Benchmarks.Clients;

/// <summary>
/// A hand-written AMQP 0-9-1 client over one socket with one channel, for load generation that costs
/// as little CPU as possible: messages are pre-encoded frames written in batches, deliveries are
/// counted by scanning frames in the receive buffer, acks are one pre-sized frame. Heartbeats are
/// disabled in tune-ok. Synchronous methods (declare, bind, qos, consume) are request/response
/// before the hot loop starts.
/// </summary>
internal sealed class RawConnection : IBenchConnection
{
    private const ushort Channel = 1;
    private const int MaxFrame = 131072;

    private readonly RawAmqpConnection _raw;
    private readonly Stream _stream;
    private readonly RawWriter _writer = new();
    private byte[] _rbuf = new byte[1 << 20];
    private int _rstart;
    private int _rend;
    private readonly CancellationTokenSource _loopCts = new();
    private Task? _loop;
    private Exception? _failure;

    // Read-loop state.
    private ConsumerCounter? _counter;
    private BodyObserver? _observer;
    private int _ackEvery;
    private ConfirmTracker? _confirms;

    private RawConnection(RawAmqpConnection raw)
    {
        _raw = raw;
        _stream = raw.Stream;
        FrameMax = (int)raw.FrameMax;
        if (_rbuf.Length < 4 * (FrameMax + 8))
        {
            _rbuf = new byte[4 * (FrameMax + 8)];
        }

        raw.ServerProperties.TryGetValue("product", out var product);
        raw.ServerProperties.TryGetValue("version", out var version);
        ServerProduct = $"{product ?? "?"} {version ?? ""}".Trim();
    }

    private Stream Stream => _stream;

    public Exception? Failure => _failure;

    /// <summary>Negotiated frame-max.</summary>
    public int FrameMax { get; }

    /// <summary>product and version from the broker's connection.start server-properties.</summary>
    public string ServerProduct { get; }

    /// <summary>
    /// Connects and shakes hands with the tests' raw client (heartbeats off, frame_max at most 128 KiB),
    /// opens channel 1, then takes over its stream for the hot loops.
    /// </summary>
    public static async Task<RawConnection> ConnectAsync(Uri uri, string connectionName, CancellationToken ct)
    {
        var raw = await RawAmqpConnection.ConnectAsync(uri, new RawConnectOptions { Product = "Broker.Benchmarks raw client", ConnectionName = connectionName, Capabilities = new Dictionary<string, object?>() }, ct);
        try
        {
            if (raw.FrameMax == 0 || raw.FrameMax > MaxFrame)
            {
                throw new InvalidOperationException($"the broker proposed frame_max {raw.Tune.FrameMax}; the raw client takes at most {MaxFrame}");
            }

            await raw.OpenChannelAsync(Channel);
            return new RawConnection(raw);
        }
        catch
        {
            await raw.DisposeAsync();
            throw;
        }
    }

    public Task DeclareQueueAsync(string name, bool durable, IDictionary<string, object?>? arguments, CancellationToken ct)
    {
        // reserved, queue, bits(passive, durable, exclusive, auto-delete, no-wait), arguments
        _writer.Clear();
        _writer.BeginMethod(Channel, 50, 10).Short(0).ShortString(name).Octet(durable ? (byte)0b10 : (byte)0).Table(arguments).EndFrame();
        return RpcAsync(50, 11, ct);
    }

    public async Task<uint> QueueMessageCountAsync(string name, CancellationToken ct)
    {
        _writer.Clear();
        _writer.BeginMethod(Channel, 50, 10).Short(0).ShortString(name).Octet(0b1).EmptyTable().EndFrame();
        await FlushWriterAsync(ct);

        // declare-ok: class, method, queue (shortstr), message-count, consumer-count
        var ok = await ReadMethodAsync(Channel, 50, 11, ct);
        var at = 4;
        RawRead.ShortString(ok, ref at);
        return RawRead.Long(ok, at);
    }

    public Task DeclareExchangeAsync(string name, string type, CancellationToken ct)
    {
        // reserved, exchange, type, bits(passive, durable, auto-delete, internal, no-wait), arguments
        _writer.Clear();
        _writer.BeginMethod(Channel, 40, 10).Short(0).ShortString(name).ShortString(type).Octet(0).EmptyTable().EndFrame();
        return RpcAsync(40, 11, ct);
    }

    public Task BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken ct)
    {
        _writer.Clear();
        _writer.BeginMethod(Channel, 50, 20).Short(0).ShortString(queue).ShortString(exchange).ShortString(routingKey).Octet(0).EmptyTable().EndFrame();
        return RpcAsync(50, 21, ct);
    }

    public Task DeleteQueueAsync(string name, CancellationToken ct)
    {
        _writer.Clear();
        _writer.BeginMethod(Channel, 50, 40).Short(0).ShortString(name).Octet(0).EndFrame();
        return RpcAsync(50, 41, ct);
    }

    public Task DeleteExchangeAsync(string name, CancellationToken ct)
    {
        _writer.Clear();
        _writer.BeginMethod(Channel, 40, 20).Short(0).ShortString(name).Octet(0).EndFrame();
        return RpcAsync(40, 21, ct);
    }

    public async Task StartConsumerAsync(string queue, ushort prefetch, int ackEvery, ConsumerCounter counter, BodyObserver? observer,
        IDictionary<string, object?>? arguments, CancellationToken ct)
    {
        EnsureNoLoop();
        _writer.Clear();
        _writer.BeginMethod(Channel, 60, 10).Long(0).Short(prefetch).Octet(0).EndFrame();
        await RpcAsync(60, 11, ct);

        // reserved, queue, consumer-tag, bits(no-local, no-ack, exclusive, no-wait), arguments
        _writer.Clear();
        _writer.BeginMethod(Channel, 60, 20).Short(0).ShortString(queue).ShortString("").Octet(0).Table(arguments).EndFrame();
        await RpcAsync(60, 21, ct);

        _counter = counter;
        _observer = observer;
        _ackEvery = ackEvery;
        _loop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    public async Task<IBenchPublisher> CreatePublisherAsync(string exchange, string routingKey, int bodySize, bool persistent, ConfirmTracker? confirms, CancellationToken ct)
    {
        EnsureNoLoop();
        if (confirms != null)
        {
            _writer.Clear();
            _writer.BeginMethod(Channel, 85, 10).Octet(0).EndFrame();
            await RpcAsync(85, 11, ct);
            _confirms = confirms;
        }

        // The read loop notices connection.close/channel.close (and handles confirms) while we publish.
        _loop = Task.Run(ReadLoopAsync, CancellationToken.None);
        return new Publisher(this, exchange, routingKey, bodySize, persistent);
    }

    private void EnsureNoLoop()
    {
        if (_loop != null)
        {
            throw new InvalidOperationException("a raw connection has one consumer or one publisher");
        }
    }

    private async Task RpcAsync(ushort classId, ushort methodId, CancellationToken ct)
    {
        await FlushWriterAsync(ct);
        await ReadMethodAsync(Channel, classId, methodId, ct);
    }

    private async Task FlushWriterAsync(CancellationToken ct) => await Stream.WriteAsync(_writer.Written, ct);

    /// <summary>
    /// Reads frames until the expected method arrives and returns its payload. Content frames,
    /// deliveries, confirms and heartbeats in between are skipped; connection.close and
    /// channel.close are answered and thrown.
    /// </summary>
    private async Task<byte[]> ReadMethodAsync(ushort channel, ushort classId, ushort methodId, CancellationToken ct)
    {
        while (true)
        {
            while (!TryGetFrame(out _, out _))
            {
                await FillAsync(ct);
            }

            var type = _rbuf[_rstart];
            var ch = BinaryPrimitives.ReadUInt16BigEndian(_rbuf.AsSpan(_rstart + 1));
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(_rbuf.AsSpan(_rstart + 3));
            var payload = _rbuf.AsSpan(_rstart + 7, size).ToArray();
            _rstart += size + 8;
            if (type != RawWriter.FrameMethod)
            {
                continue;
            }

            var c = RawRead.Short(payload, 0);
            var m = RawRead.Short(payload, 2);
            if (c == 10 && m == 50 || c == 20 && m == 40)
            {
                var ex = CloseException(payload);
                _writer.Clear();
                _writer.BeginMethod(ch, c, (ushort)(m + 1)).EndFrame();
                try
                {
                    await FlushWriterAsync(ct);
                }
                catch (IOException)
                {
                }

                throw ex;
            }

            if (ch == channel && c == classId && m == methodId)
            {
                return payload;
            }
        }
    }

    private static InvalidOperationException CloseException(ReadOnlySpan<byte> payload)
    {
        var what = RawRead.Short(payload, 0) == 10 ? "connection" : "channel";
        var code = RawRead.Short(payload, 4);
        var at = 6;
        var text = RawRead.ShortString(payload, ref at);
        var cls = RawRead.Short(payload, at);
        var mth = RawRead.Short(payload, at + 2);
        return new InvalidOperationException($"broker closed the {what}: {code} {text} (method {cls}.{mth})");
    }

    /// <summary>True when a whole frame starts at _rstart.</summary>
    private bool TryGetFrame(out byte type, out int size)
    {
        type = 0;
        size = 0;
        var avail = _rend - _rstart;
        if (avail < 7)
        {
            return false;
        }

        size = (int)BinaryPrimitives.ReadUInt32BigEndian(_rbuf.AsSpan(_rstart + 3));
        if (size + 8 > _rbuf.Length / 2)
        {
            throw new InvalidDataException($"frame of {size} bytes exceeds frame-max {FrameMax}");
        }

        if (avail < size + 8)
        {
            return false;
        }

        if (_rbuf[_rstart + 7 + size] != RawWriter.FrameEnd)
        {
            throw new InvalidDataException("frame-end octet missing");
        }

        type = _rbuf[_rstart];
        return true;
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_rstart == _rend)
        {
            _rstart = _rend = 0;
        }
        else if (_rbuf.Length - _rend < FrameMax + 8)
        {
            Buffer.BlockCopy(_rbuf, _rstart, _rbuf, 0, _rend - _rstart);
            _rend -= _rstart;
            _rstart = 0;
        }

        var n = await _stream.ReadAsync(_rbuf.AsMemory(_rend), ct);
        if (n == 0)
        {
            throw new IOException("the broker closed the socket");
        }

        _rend += n;
    }

    /// <summary>
    /// The hot receive loop: counts complete deliveries, acks with multiple=true once ackEvery are
    /// unacked (at most once per socket read), resolves publisher confirms, stops on close.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        var ct = _loopCts.Token;
        var ack = new byte[21];
        ulong deliverTag = 0, completedTag = 0;
        long remaining = 0;
        var unacked = 0;
        var firstBodyFrame = false;
        try
        {
            while (true)
            {
                while (TryGetFrame(out var type, out var size))
                {
                    var payload = _rbuf.AsSpan(_rstart + 7, size);
                    switch (type)
                    {
                        case RawWriter.FrameMethod:
                            var cls = RawRead.Short(payload, 0);
                            var mth = RawRead.Short(payload, 2);
                            if (cls == 60 && mth == 60)
                            {
                                // basic.deliver: consumer-tag, delivery-tag, ...
                                deliverTag = RawRead.LongLong(payload, 5 + payload[4]);
                            }
                            else if (cls == 60 && (mth == 80 || mth == 120))
                            {
                                // basic.ack / basic.nack: delivery-tag, bits (multiple is bit 0)
                                _confirms?.Resolve(RawRead.LongLong(payload, 4), (payload[12] & 1) != 0, nack: mth == 120);
                            }
                            else if (cls == 10 && mth == 50 || cls == 20 && mth == 40)
                            {
                                throw CloseException(payload);
                            }

                            break;
                        case RawWriter.FrameHeader:
                            remaining = (long)RawRead.LongLong(payload, 4);
                            firstBodyFrame = true;
                            if (remaining == 0)
                            {
                                Complete();
                            }

                            break;
                        case RawWriter.FrameBody:
                            if (firstBodyFrame)
                            {
                                firstBodyFrame = false;
                                _observer?.Invoke(payload);
                            }

                            remaining -= size;
                            if (remaining <= 0)
                            {
                                Complete();
                            }

                            break;
                        default:
                            break;
                    }

                    _rstart += size + 8;
                }

                if (unacked >= _ackEvery && _ackEvery > 0)
                {
                    unacked = 0;
                    _writer.Clear();
                    _writer.BeginMethod(Channel, 60, 80).LongLong(completedTag).Octet(1).EndFrame();
                    await Stream.WriteAsync(_writer.Written, ct);
                }

                await FillAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failure ??= e;
        }

        void Complete()
        {
            completedTag = deliverTag;
            unacked++;
            _counter?.Increment();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _loopCts.CancelAsync();
        if (_loop != null)
        {
            await _loop;
        }

        if (_failure == null)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                _writer.Clear();
                _writer.BeginMethod(0, 10, 50).Short(200).ShortString("bye").Short(0).Short(0).EndFrame();
                await FlushWriterAsync(cts.Token);
                await ReadMethodAsync(0, 10, 51, cts.Token);
            }
            catch (Exception)
            {
                // Best effort: the broker may already be gone.
            }
        }

        await _raw.DisposeAsync();
        _loopCts.Dispose();
    }

    /// <summary>Writes pre-encoded publish frames: method, content header, body frame(s).</summary>
    private sealed class Publisher : IBenchPublisher
    {
        private const int BatchBytes = 64 * 1024;

        private readonly RawConnection _connection;
        private readonly byte[] _one;
        private readonly byte[] _batch;
        private readonly int _perBatch;
        private readonly int _bodyOffset;

        public Publisher(RawConnection connection, string exchange, string routingKey, int bodySize, bool persistent)
        {
            _connection = connection;
            var body = new byte[bodySize];
            Random.Shared.NextBytes(body);
            var w = new RawWriter();
            w.BeginMethod(Channel, 60, 40).Short(0).ShortString(exchange).ShortString(routingKey).Octet(0).EndFrame();

            // class, weight, body size, property flags (delivery-mode only), delivery-mode
            w.BeginFrame(RawWriter.FrameHeader, Channel).Short(60).Short(0).LongLong((ulong)bodySize)
                .Short(0x1000).Octet(persistent ? (byte)2 : (byte)1).EndFrame();
            var maxChunk = connection.FrameMax - 8;
            _bodyOffset = w.Length + 7;
            for (var off = 0; off < bodySize; off += maxChunk)
            {
                w.BeginFrame(RawWriter.FrameBody, Channel).Bytes(body.AsSpan(off, Math.Min(maxChunk, bodySize - off))).EndFrame();
            }

            _one = w.ToArray();
            _perBatch = Math.Max(1, BatchBytes / _one.Length);
            _batch = new byte[_perBatch * _one.Length];
            for (var i = 0; i < _perBatch; i++)
            {
                _one.CopyTo(_batch, i * _one.Length);
            }
        }

        public async ValueTask PublishAsync(int count, CancellationToken ct)
        {
            while (count > 0)
            {
                var n = Math.Min(count, _perBatch);
                await _connection.Stream.WriteAsync(_batch.AsMemory(0, n * _one.Length), ct);
                count -= n;
            }
        }

        public ValueTask PublishStampedAsync(long timestamp, CancellationToken ct)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_one.AsSpan(_bodyOffset), timestamp);
            return _connection.Stream.WriteAsync(_one, ct);
        }
    }
}
