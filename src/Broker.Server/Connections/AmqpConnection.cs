using System.Buffers;
using System.IO.Pipelines;
using Broker.DataModel;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Monitoring;
using Broker.Engine.Queues;
using Broker.Engine.Security;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Server.Channels;
using Broker.Server.Errors;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Connections;

/// <summary>
/// One client connection: the read loop that cuts frames off the input pipe and dispatches them, the
/// handshake, the channel table, and closing with RabbitMQ's reply codes. Everything a read batch
/// writes (replies, confirms, deliveries to other connections) is flushed once when the batch ends.
/// </summary>
internal sealed partial class AmqpConnection : IManagedConnection
{
    private readonly ServerContext _server;
    private readonly IDuplexPipe _transport;
    private readonly ILogger _logger;
    private readonly List<MessageQueue> _exclusiveQueues = [];
    private readonly List<AmqpChannel> _channelsWithConfirms = [];
    private AmqpChannel?[] _channels = new AmqpChannel?[8];
    private int _openChannels;
    private volatile ConnectionState _state = ConnectionState.AwaitingProtocolHeader;
    private volatile bool _abort;
    private long _lastReceivedMs;
    private long _closingSinceMs;
    private byte[]? _methodScratch;
    private User? _user;
    private VirtualHost? _virtualHost;
    private Permissions? _permissions;

    /// <param name="localEndPoint">The listener's address the client reached, when known: it completes the connection's <see cref="Name"/>.</param>
    public AmqpConnection(ServerContext server, IDuplexPipe transport, string remoteEndPoint, string? localEndPoint = null)
    {
        LocalEndPoint = localEndPoint;
        _server = server;
        _transport = transport;
        RemoteEndPoint = remoteEndPoint;
        Name = localEndPoint is null ? remoteEndPoint : $"{remoteEndPoint} -> {localEndPoint}";
        _logger = server.Logger;
        Output = new ConnectionOutput(transport.Output, server.Options.OutputSaturationBytes, server.Clock);
        Output.Drained += ResumeConsumers;
        Output.Failed += OnOutputFailed;
        StartedMs = server.Clock.NowMs;
        _lastReceivedMs = StartedMs;
    }

    public string RemoteEndPoint { get; }

    /// <summary>The connection's name in the engine, as RabbitMQ names it: "PEER -> LISTENER" (e.g. in the firehose's headers).</summary>
    public string Name { get; }

    public ConnectionOutput Output { get; }

    public BrokerEngine Engine => _server.Engine;

    public DirectReplyRegistry DirectReplies => _server.DirectReplies;

    /// <summary>The outputs this connection's current read batch wrote to.</summary>
    public FlushBatch Batch { get; } = new();

    public uint FrameMax { get; private set; } = FrameConstants.MinFrameMax;

    public ushort ChannelMax { get; private set; }

    public ushort Heartbeat { get; private set; }

    public string UserName => _user?.Name ?? string.Empty;

    public string? VirtualHostName => _virtualHost?.Name;

    public string ClientName { get; private set; } = string.Empty;

    /// <summary>When the socket was accepted, on the server clock (ms).</summary>
    public long StartedMs { get; }

    /// <summary>The client said it handles server-sent basic.cancel.</summary>
    public bool ConsumerCancelNotify { get; private set; }

    public bool AuthenticationFailureClose { get; private set; }

    public bool ConnectionBlockedNotify { get; private set; }

    public bool IsOpen => _state == ConnectionState.Open;

    public bool IsUser(ReadOnlySpan<byte> userId) =>
        _user is not null && (System.Text.Encoding.UTF8.GetString(userId) == _user.Name || _user.HasTag("impersonator"));

    public void AddExclusiveQueue(MessageQueue queue) => _exclusiveQueues.Add(queue);

    /// <summary>Serves the connection until the peer or the broker closes it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        using var registration = cancellationToken.Register(static state => ((AmqpConnection)state!).Abort(), this);
        try
        {
            while (!_abort)
            {
                await ThrottleAsync();
                var result = await input.ReadAsync(CancellationToken.None);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                try
                {
                    if (_abort)
                    {
                        break;
                    }

                    if (!buffer.IsEmpty)
                    {
                        _lastReceivedMs = _server.Clock.NowMs;
                    }

                    consumed = ProcessBuffer(buffer, out var pending);
                    while (pending is not null)
                    {
                        // A handler waits (a durable change or a commit reaching the disk): send what
                        // is written so far, wait, then go on with the frames after it.
                        EndBatch();
                        await AwaitHandlerAsync(pending);
                        consumed = ProcessBuffer(buffer.Slice(consumed), out pending);
                    }
                }
                finally
                {
                    _receivedBytes += buffer.Slice(buffer.Start, consumed).Length;
                    input.AdvanceTo(consumed, buffer.End);
                    EndBatch();
                }

                if (result.IsCompleted && _state != ConnectionState.Closed)
                {
                    RecordClose("socket_closed", "client unexpectedly closed TCP connection");
                }

                if (result.IsCompleted || _abort || _state == ConnectionState.Closed)
                {
                    break;
                }

                if (result.IsCanceled)
                {
                    // The server timer woke the loop: channel errors are raised here, on the loop's thread.
                    CloseTimedOutChannels();
                    EndBatch();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException)
        {
            // The peer went away; nothing to tell it.
            RecordClose("connection_reset", $"connection reset: {ex.Message}");
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
        {
            RecordClose("socket_closed", "the socket was closed");
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(_logger, ex, RemoteEndPoint);
            RecordClose("internal_error", $"unexpected error: {ex.Message}", LogLevel.Error);
        }
        finally
        {
            await ShutdownAsync();
        }
    }

    /// <summary>
    /// Processes whole frames in the buffer; returns how far it got. Stops early, with
    /// <paramref name="pending"/> set, after a frame whose handler has to wait.
    /// </summary>
    private SequencePosition ProcessBuffer(ReadOnlySequence<byte> buffer, out Task? pending)
    {
        pending = null;
        try
        {
            if (_state == ConnectionState.AwaitingProtocolHeader)
            {
                if (!TryReadProtocolHeader(ref buffer))
                {
                    return buffer.Start;
                }
            }

            var frameMax = _state == ConnectionState.Open ? FrameMax : _server.Options.FrameMax;
            while (_state != ConnectionState.Closed && FrameReader.TryReadFrame(ref buffer, frameMax, out var frame))
            {
                pending = ProcessFrame(frame);
                if (pending is not null)
                {
                    return buffer.Start;
                }

                frameMax = _state == ConnectionState.Open ? FrameMax : _server.Options.FrameMax;
            }

            return buffer.Start;
        }
        catch (AmqpException ex)
        {
            CloseWithError(ex.ReplyCode, ex.ReplyText, ex.MethodId, ex.Message);
            return buffer.End;
        }
        catch (AmqpProtocolException ex)
        {
            if (_state == ConnectionState.Closing)
            {
                // After our connection.close the peer's input may be out of step (the rest of the frame
                // that broke it): ignore it, as RabbitMQ does, until close-ok or the close timeout.
                return buffer.End;
            }

            CloseWithError(ex.ReplyCode, AmqpException.FormatReplyText(ex.ReplyCode, ex.Message), 0, ex.Message);
            return buffer.End;
        }
    }

    /// <summary>Waits for a handler that could not finish at once; its errors close as a synchronous one's would.</summary>
    private async Task AwaitHandlerAsync(Task pending)
    {
        try
        {
            await pending;
        }
        catch (AmqpException ex)
        {
            CloseWithError(ex.ReplyCode, ex.ReplyText, ex.MethodId, ex.Message);
        }
    }

    /// <summary>Handles one frame; returns a task when its handler has to finish later.</summary>
    private Task? ProcessFrame(in Frame frame)
    {
        _receivedFrames++;
        switch (_state)
        {
            case ConnectionState.Open:
                break;
            case ConnectionState.Closing:
                ProcessFrameWhileClosing(frame);
                return null;
            default:
                ProcessHandshakeFrame(frame);
                return null;
        }

        if (frame.Type == FrameType.Heartbeat)
        {
            if (frame.Channel != 0)
            {
                throw AmqpException.UnexpectedFrame("type 8, all octets = <<>>", 0);
            }

            return null;
        }

        if (frame.Channel == 0)
        {
            if (frame.Type != FrameType.Method)
            {
                throw AmqpException.UnexpectedFrame($"type {(byte)frame.Type}, all octets = <<>>", 0);
            }

            var payload = MethodPayload(frame);
            HandleConnectionMethod(MethodFrame.ReadId(payload), payload);
            return null;
        }

        var channel = GetChannel(frame.Channel);
        if (channel is null)
        {
            if (frame.Type != FrameType.Method)
            {
                throw AmqpException.UnexpectedFrame("expected method frame, got non method frame instead", 0);
            }

            var payload = MethodPayload(frame);
            var id = MethodFrame.ReadId(payload);
            if (id != MethodIds.ChannelOpen)
            {
                throw AmqpException.ChannelError("expected 'channel.open'", id);
            }

            OpenChannel(frame.Channel);
            return null;
        }

        if (channel.State == ChannelState.Closing)
        {
            ProcessFrameOnClosingChannel(channel, frame);
            return null;
        }

        uint methodId = 0;
        try
        {
            switch (frame.Type)
            {
                case FrameType.Method:
                    var payload = MethodPayload(frame);
                    methodId = MethodFrame.ReadId(payload);
                    var pending = DispatchChannelMethod(channel, methodId, payload);
                    return pending is null ? null : AwaitChannelMethodAsync(channel, pending);
                case FrameType.Header:
                    channel.HandleHeader(frame.Payload);
                    break;
                case FrameType.Body:
                    channel.HandleBody(frame.Payload);
                    break;
            }
        }
        catch (AmqpException ex) when (!ex.IsHardError)
        {
            CloseChannelWithError(channel, ex);
        }
        catch (AmqpProtocolException) when (frame.Type == FrameType.Method)
        {
            throw AmqpException.FrameError($"cannot decode {FrameReader.FormatBinary(frame.Payload.Slice(4))}", methodId);
        }

        return null;
    }

    private async Task AwaitChannelMethodAsync(AmqpChannel channel, Task pending)
    {
        try
        {
            await pending;
        }
        catch (AmqpException ex) when (!ex.IsHardError)
        {
            CloseChannelWithError(channel, ex);
        }
    }

    private Task? DispatchChannelMethod(AmqpChannel channel, uint methodId, ReadOnlySpan<byte> payload)
    {
        switch (methodId)
        {
            case MethodIds.ChannelClose:
                // The client closes: confirms already due first, then give back its resources and confirm.
                channel.WritePendingConfirms();
                channel.Release();
                RemoveChannel(channel.Number);
                WriteMethod(channel.Number, default(ChannelCloseOk));
                return null;
            case MethodIds.ChannelCloseOk:
                return null;
            default:
                if (!MethodIds.IsKnown(methodId))
                {
                    throw AmqpException.NotImplemented($"unknown method {methodId >> 16}.{methodId & 0xFFFF}", methodId);
                }

                return channel.HandleMethod(methodId, payload);
        }
    }

    private void ProcessFrameOnClosingChannel(AmqpChannel channel, in Frame frame)
    {
        // After a channel error RabbitMQ ignores everything on the channel but close and close-ok.
        if (frame.Type != FrameType.Method)
        {
            return;
        }

        var id = MethodFrame.ReadId(MethodPayload(frame));
        if (id == MethodIds.ChannelCloseOk)
        {
            RemoveChannel(channel.Number);
        }
        else if (id == MethodIds.ChannelClose)
        {
            RemoveChannel(channel.Number);
            WriteMethod(channel.Number, default(ChannelCloseOk));
        }
    }

    private void ProcessFrameWhileClosing(in Frame frame)
    {
        if (frame.Channel != 0 || frame.Type != FrameType.Method)
        {
            return;
        }

        var id = MethodFrame.ReadId(MethodPayload(frame));
        if (id == MethodIds.ConnectionCloseOk)
        {
            _state = ConnectionState.Closed;
        }
        else if (id == MethodIds.ConnectionClose)
        {
            WriteMethod(0, default(ConnectionCloseOk));
            _state = ConnectionState.Closed;
        }
    }

    private void HandleConnectionMethod(uint methodId, ReadOnlySpan<byte> payload)
    {
        switch (methodId)
        {
            case MethodIds.ConnectionClose:
                var close = MethodFrame.Decode<ConnectionClose>(payload);
                RecordClose("client_close", $"client closed it: {close.ReplyCode} {close.ReplyText}", LogLevel.Information);
                ReleaseResources();
                WriteMethod(0, default(ConnectionCloseOk));
                _state = ConnectionState.Closed;
                break;
            case MethodIds.ConnectionUpdateSecret:
                HandleUpdateSecret(MethodFrame.Decode<ConnectionUpdateSecret>(payload));
                break;
            case MethodIds.ConnectionBlocked or MethodIds.ConnectionUnblocked:
                // Client-sent blocked/unblocked carry no meaning for a broker.
                break;
            default:
                // Also close-ok the broker did not ask for, as rabbit_reader:handle_method0 answers it.
                throw AmqpException.ChannelError("unexpected method in connection state running", methodId);
        }
    }

    private void OpenChannel(ushort number)
    {
        if (ChannelMax != 0 && _openChannels >= ChannelMax)
        {
            throw AmqpException.NotAllowed($"number of channels opened ({_openChannels}) has reached the negotiated channel_max ({ChannelMax})", MethodIds.ChannelOpen);
        }

        if (number >= _channels.Length)
        {
            Array.Resize(ref _channels, (int)Math.Min(65536, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)number + 1)));
        }

        _channels[number] = new AmqpChannel(this, number, _virtualHost!, _permissions!);
        _openChannels++;
        WriteMethod(number, new ChannelOpenOk(ChannelId: []));
    }

    private AmqpChannel? GetChannel(ushort number) => number < _channels.Length ? _channels[number] : null;

    private void RemoveChannel(ushort number)
    {
        if (number < _channels.Length && _channels[number] is not null)
        {
            _channels[number] = null;
            _openChannels--;
        }
    }

    private void CloseChannelWithError(AmqpChannel channel, AmqpException error)
    {
        Log.ChannelError(_logger, RemoteEndPoint, channel.Number, error.ReplyText);
        channel.BeginServerClose();
        WriteMethod(channel.Number, new ChannelClose(error.ReplyCode, error.ReplyText, (ushort)(error.MethodId >> 16), (ushort)error.MethodId));
    }

    /// <summary>A method frame's payload as one span (copied when the frame straddles buffer segments).</summary>
    private ReadOnlySpan<byte> MethodPayload(in Frame frame)
    {
        var payload = frame.Payload;
        if (payload.IsSingleSegment)
        {
            return payload.FirstSpan;
        }

        var length = (int)payload.Length;
        if (_methodScratch is null || _methodScratch.Length < length)
        {
            _methodScratch = new byte[Math.Max(length, 4096)];
        }

        payload.CopyTo(_methodScratch);
        return _methodScratch.AsSpan(0, length);
    }

    /// <summary>Writes a method frame into this connection's output (flushed at the end of the batch).</summary>
    public void WriteMethod<T>(ushort channel, in T method)
        where T : struct, IAmqpMethod<T>
    {
        lock (Output.SyncRoot)
        {
            if (!Output.IsCompleted)
            {
                FrameWriter.WriteMethod(Output.Writer, channel, method);
            }
        }
    }

    /// <summary>A channel in confirm mode has acks to send at the end of this batch.</summary>
    public void AddPendingConfirms(AmqpChannel channel)
    {
        if (!_channelsWithConfirms.Contains(channel))
        {
            _channelsWithConfirms.Add(channel);
        }
    }

    private void EndBatch()
    {
        foreach (var channel in _channelsWithConfirms)
        {
            channel.WritePendingConfirms();
        }

        _channelsWithConfirms.Clear();

        Batch.FlushAll();
        Output.Flush();
    }

    private void OnOutputFailed(Exception exception)
    {
        Engine.ReportUnexpected(exception, $"the output of connection {RemoteEndPoint}");
        RecordClose("internal_error", $"writing to the socket failed: {exception.Message}", LogLevel.Error);
        Abort();
    }

    /// <summary>Wakes the queues of this connection's consumers after its output drained.</summary>
    private void ResumeConsumers()
    {
        var channels = _channels;
        for (var i = 1; i < channels.Length; i++)
        {
            channels[i]?.ScheduleConsumerPumps();
        }
    }
}
