using System.Buffers;
using Broker.Engine.Delivery;
using Broker.Engine.Routing;
using Broker.Engine.Security;
using Broker.Engine.Sessions;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Server.Connections;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

/// <summary>
/// One AMQP channel: dispatches its methods to the engine, assembles published content, writes
/// deliveries as frames, and keeps what is AMQP's alone: confirms, transactions, direct reply-to,
/// the last declared queue. Its engine <see cref="Session"/> owns consumers, prefetch credit,
/// delivery tags and unacknowledged deliveries. Frames arrive on the connection's read loop;
/// deliveries arrive from any thread through the session, which calls <see cref="TryWriteDelivery"/>
/// under its lock. <see cref="_lock"/> guards the confirm tracker.
/// </summary>
internal sealed partial class AmqpChannel : IDeliveryTarget, IPersistListener
{
    private readonly AmqpConnection _connection;
    private readonly ConnectionOutput _output;
    private readonly VirtualHost _virtualHost;
    private readonly Permissions _permissions;
    private readonly Lock _lock = new();
    private readonly Session _session;
    private readonly ContentAssembler _assembler = new();
    private readonly RouteTargets _routeTargets = new();
    private readonly List<UnackedDelivery> _settleScratch = [];
    private ChannelState _state = ChannelState.Open;
    private bool _released;
    private string _lastDeclaredQueue = string.Empty;

    public AmqpChannel(AmqpConnection connection, ushort number, VirtualHost virtualHost, Permissions permissions)
    {
        _connection = connection;
        _output = connection.Output;
        Number = number;
        _virtualHost = virtualHost;
        _permissions = permissions;
        _session = new Session(virtualHost, connection, this, number);
    }

    public ushort Number { get; }

    public ChannelState State => _state;

    private FlushBatch Batch => _connection.Batch;

    /// <summary>
    /// A method frame for this channel (payload starts with the class and method ids). Returns a task
    /// when the reply must wait (a durable change reaching the disk); the connection processes no
    /// further frames until it completes.
    /// </summary>
    public Task? HandleMethod(uint methodId, ReadOnlySpan<byte> payload)
    {
        if (_assembler.State != AssemblyState.Idle)
        {
            throw UnexpectedFrameDuringContent();
        }

        switch (methodId)
        {
            case MethodIds.BasicPublish:
                HandleBasicPublish(payload[4..]);
                break;
            case MethodIds.BasicAck:
                var ack = MethodFrame.Decode<BasicAck>(payload);
                HandleBasicAck(ack.DeliveryTag, ack.Multiple);
                break;
            case MethodIds.BasicNack:
                var nack = MethodFrame.Decode<BasicNack>(payload);
                HandleBasicNack(nack.DeliveryTag, nack.Multiple, nack.Requeue, methodId);
                break;
            case MethodIds.BasicReject:
                var reject = MethodFrame.Decode<BasicReject>(payload);
                HandleBasicNack(reject.DeliveryTag, multiple: false, reject.Requeue, methodId);
                break;
            case MethodIds.BasicGet:
                HandleBasicGet(MethodFrame.Decode<BasicGet>(payload));
                break;
            case MethodIds.BasicConsume:
                HandleBasicConsume(MethodFrame.Decode<BasicConsume>(payload));
                break;
            case MethodIds.BasicCancel:
                HandleBasicCancel(MethodFrame.Decode<BasicCancel>(payload));
                break;
            case MethodIds.BasicQos:
                HandleBasicQos(MethodFrame.Decode<BasicQos>(payload));
                break;
            case MethodIds.BasicRecover:
                HandleBasicRecover(MethodFrame.Decode<BasicRecover>(payload).Requeue, methodId, reply: true);
                break;
            case MethodIds.BasicRecoverAsync:
                HandleBasicRecover(MethodFrame.Decode<BasicRecoverAsync>(payload).Requeue, methodId, reply: false);
                break;
            case MethodIds.ExchangeDeclare:
                return HandleExchangeDeclare(MethodFrame.Decode<ExchangeDeclare>(payload));
            case MethodIds.ExchangeDelete:
                return HandleExchangeDelete(MethodFrame.Decode<ExchangeDelete>(payload));
            case MethodIds.ExchangeBind:
                return HandleExchangeBind(MethodFrame.Decode<ExchangeBind>(payload));
            case MethodIds.ExchangeUnbind:
                return HandleExchangeUnbind(MethodFrame.Decode<ExchangeUnbind>(payload));
            case MethodIds.QueueDeclare:
                return HandleQueueDeclare(MethodFrame.Decode<QueueDeclare>(payload));
            case MethodIds.QueueBind:
                return HandleQueueBind(MethodFrame.Decode<QueueBind>(payload));
            case MethodIds.QueueUnbind:
                return HandleQueueUnbind(MethodFrame.Decode<QueueUnbind>(payload));
            case MethodIds.QueuePurge:
                HandleQueuePurge(MethodFrame.Decode<QueuePurge>(payload));
                break;
            case MethodIds.QueueDelete:
                return HandleQueueDelete(MethodFrame.Decode<QueueDelete>(payload));
            case MethodIds.ConfirmSelect:
                HandleConfirmSelect(MethodFrame.Decode<ConfirmSelect>(payload));
                break;
            case MethodIds.TxSelect:
                HandleTxSelect();
                break;
            case MethodIds.TxCommit:
                return HandleTxCommit();
            case MethodIds.TxRollback:
                HandleTxRollback();
                break;
            case MethodIds.ChannelFlow:
                HandleChannelFlow(MethodFrame.Decode<ChannelFlow>(payload));
                break;
            case MethodIds.AccessRequest:
                Reply(new AccessRequestOk(Ticket: 1));
                break;
            case MethodIds.ChannelOpen:
                throw AmqpException.ChannelError("second 'channel.open' seen", methodId);
            default:
                throw AmqpException.CommandInvalid("unimplemented method", methodId);
        }

        return null;
    }

    /// <summary>A content header frame for this channel.</summary>
    public void HandleHeader(in ReadOnlySequence<byte> payload)
    {
        switch (_assembler.State)
        {
            case AssemblyState.ExpectingHeader:
                HandleContentHeader(payload);
                break;
            case AssemblyState.ExpectingBody:
                throw AmqpException.UnexpectedFrame("expected content body, got non content body frame instead", MethodIds.BasicPublish);
            default:
                throw AmqpException.UnexpectedFrame("expected method frame, got non method frame instead", 0);
        }
    }

    /// <summary>A content body frame for this channel.</summary>
    public void HandleBody(in ReadOnlySequence<byte> payload)
    {
        switch (_assembler.State)
        {
            case AssemblyState.ExpectingBody:
                HandleContentBody(payload);
                break;
            case AssemblyState.ExpectingHeader:
                throw AmqpException.UnexpectedFrame("expected content header for class 60, got non content header frame instead", MethodIds.BasicPublish);
            default:
                throw AmqpException.UnexpectedFrame("expected method frame, got non method frame instead", 0);
        }
    }

    /// <summary>Whether its oldest unacknowledged delivery has waited longer than <paramref name="timeoutMs"/>.</summary>
    public bool AckTimedOut(long nowMs, long timeoutMs) => _session.AckTimedOut(nowMs, timeoutMs);

    /// <summary>Marks the channel as closing after a channel error: frames are ignored until close-ok.</summary>
    public void BeginServerClose()
    {
        // Confirms already due go out before the close, as RabbitMQ's would; none after it.
        WritePendingConfirms();
        Release();
        _state = ChannelState.Closing;
    }

    /// <summary>
    /// Gives back everything the channel holds: consumers are cancelled, unacknowledged deliveries
    /// requeued (redelivered, at their original positions), half-received content and uncommitted
    /// publishes dropped.
    /// </summary>
    public void Release()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        lock (_lock)
        {
            _state = ChannelState.Closed;
            _confirms = null;
        }

        _connection.Engine.Clients.Retired.Add(Stats);

        StopDirectReplies();
        _assembler.Reset();
        _session.Close(ReleaseTransaction(), Batch);
    }

    private AmqpException UnexpectedFrameDuringContent() => _assembler.State == AssemblyState.ExpectingHeader
        ? AmqpException.UnexpectedFrame("expected content header for class 60, got non content header frame instead", MethodIds.BasicPublish)
        : AmqpException.UnexpectedFrame("expected content body, got non content body frame instead", MethodIds.BasicPublish);

    /// <summary>
    /// Replies once the definition changes made so far are on disk (RabbitMQ answers a durable declare
    /// after storing it). Synchronous when nothing is pending.
    /// </summary>
    private Task? ReplyWhenPersisted<T>(T reply, bool nowait)
        where T : struct, IAmqpMethod<T>
    {
        var persisted = _connection.Engine.Definitions.WhenPersisted();
        if (nowait)
        {
            return null;
        }

        if (persisted.IsCompletedSuccessfully)
        {
            Reply(reply);
            return null;
        }

        return ReplyAfter(persisted, reply);
    }

    private async Task ReplyAfter<T>(Task persisted, T reply)
        where T : struct, IAmqpMethod<T>
    {
        try
        {
            await persisted;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AmqpException(Broker.Protocol.ReplyCodes.InternalError, "could not store the change: " + ex.Message, 0);
        }

        Reply(reply);
    }

    private void Reply<T>(in T method)
        where T : struct, IAmqpMethod<T>
    {
        lock (_output.SyncRoot)
        {
            if (!_output.IsCompleted)
            {
                FrameWriter.WriteMethod(_output.Writer, Number, method);
            }
        }
    }

    private void HandleChannelFlow(ChannelFlow flow)
    {
        // RabbitMQ never honours a client's flow(active=false); it throttles with connection.blocked.
        if (!flow.Active)
        {
            throw AmqpException.NotImplemented("active=false", MethodIds.ChannelFlow);
        }

        Reply(new ChannelFlowOk(Active: true));
    }

}

internal enum ChannelState : byte
{
    Open,

    /// <summary>We sent channel.close and wait for close-ok; other frames are ignored.</summary>
    Closing,

    Closed,
}
