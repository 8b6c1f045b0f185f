using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    private ConfirmTracker? _confirms;
    private Transaction? _transaction;

    /// <summary>Confirms to send at the end of the read batch (publishes handled in it are confirmed by then).</summary>
    public void WritePendingConfirms()
    {
        var confirms = _confirms;
        if (confirms is null || !confirms.HasWork)
        {
            return;
        }

        var frames = new List<(ulong Tag, bool Multiple, bool Ack)>();
        confirms.Drain(frames);
        lock (_output.SyncRoot)
        {
            if (_output.IsCompleted)
            {
                return;
            }

            foreach (var (tag, multiple, ack) in frames)
            {
                if (ack)
                {
                    Broker.Protocol.Framing.FrameWriter.WriteMethod(_output.Writer, Number, new BasicAck(tag, multiple));
                }
                else
                {
                    Broker.Protocol.Framing.FrameWriter.WriteMethod(_output.Writer, Number, new BasicNack(tag, multiple, Requeue: false));
                }
            }
        }
    }

    private void HandleConfirmSelect(ConfirmSelect select)
    {
        if (_transaction is not null)
        {
            throw AmqpException.PreconditionFailed("cannot switch from tx to confirm mode", MethodIds.ConfirmSelect);
        }

        _confirms ??= new ConfirmTracker();
        if (!select.Nowait)
        {
            Reply(default(ConfirmSelectOk));
        }
    }

    private void HandleTxSelect()
    {
        if (_confirms is not null)
        {
            throw AmqpException.PreconditionFailed("cannot switch from confirm to tx mode", MethodIds.TxSelect);
        }

        _transaction ??= new Transaction();
        Reply(default(TxSelectOk));
    }

    private void HandleTxCommit()
    {
        var transaction = _transaction ?? throw AmqpException.PreconditionFailed("channel is not transactional", MethodIds.TxCommit);
        foreach (var (message, queues, mandatory) in transaction.Publishes)
        {
            try
            {
                Deliver(message, queues, mandatory);
            }
            finally
            {
                message.Release();
            }
        }

        foreach (var (deliveries, action) in transaction.Settles)
        {
            Settle(deliveries, action);
        }

        transaction.Clear();
        Reply(default(TxCommitOk));
    }

    private void HandleTxRollback()
    {
        var transaction = _transaction ?? throw AmqpException.PreconditionFailed("channel is not transactional", MethodIds.TxRollback);
        var restored = new List<UnackedDelivery>();
        foreach (var (deliveries, _) in transaction.Settles)
        {
            restored.AddRange(deliveries);
        }

        lock (_lock)
        {
            _unacked.Restore(restored);
        }

        foreach (var (message, _, _) in transaction.Publishes)
        {
            message.Release();
        }

        transaction.Clear();
        Reply(default(TxRollbackOk));
    }

    /// <summary>On channel close: uncommitted publishes are dropped, uncommitted acks leave the deliveries unacked.</summary>
    private void ReleaseTransaction(List<UnackedDelivery> unacked)
    {
        if (_transaction is not { } transaction)
        {
            return;
        }

        foreach (var (message, _, _) in transaction.Publishes)
        {
            message.Release();
        }

        foreach (var (deliveries, _) in transaction.Settles)
        {
            unacked.AddRange(deliveries);
        }

        unacked.Sort(static (a, b) => a.Tag.CompareTo(b.Tag));
        transaction.Clear();
    }

    /// <summary>What a transactional channel has done since its last commit or rollback.</summary>
    private sealed class Transaction
    {
        public List<(Message Message, List<MessageQueue> Queues, bool Mandatory)> Publishes { get; } = [];

        public List<(List<UnackedDelivery> Deliveries, SettleAction Action)> Settles { get; } = [];

        /// <summary>Takes over the publisher's reference to the message; routing was done at publish time.</summary>
        public void AddPublish(Message message, List<MessageQueue> queues, bool mandatory)
        {
            message.AddReference();
            Publishes.Add((message, [.. queues], mandatory));
        }

        public void AddSettle(List<UnackedDelivery> deliveries, SettleAction action) => Settles.Add(([.. deliveries], action));

        public void Clear()
        {
            Publishes.Clear();
            Settles.Clear();
        }
    }
}
