using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.Stores;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    private readonly List<(ulong Tag, bool Multiple, bool Ack)> _confirmFrames = [];
    private ConfirmTracker? _confirms;
    private Transaction? _transaction;

    /// <summary>
    /// Writes the acks and nacks due (at the end of a read batch, or after the store synced). Takes the
    /// channel's lock, so the read loop and the store's writer thread may both call it.
    /// </summary>
    public void WritePendingConfirms()
    {
        if (_confirms is null)
        {
            return;
        }

        lock (_lock)
        {
            // Read under the lock: a released (closed) channel has dropped its tracker and sends nothing.
            if (_confirms is not { HasWork: true } confirms)
            {
                return;
            }

            var frames = _confirmFrames;
            frames.Clear();
            confirms.Drain(frames);
            WriteConfirmFrames(frames);
        }
    }

    public void OnPersisted(ulong confirmSequence, bool success)
    {
        lock (_lock)
        {
            if (_confirms is not { } confirms)
            {
                return;
            }

            if (success)
            {
                confirms.Confirm(confirmSequence);
                Stats.OnConfirmed(1);
            }
            else
            {
                confirms.Reject(confirmSequence);
            }
        }
    }

    public void OnPersistBatchCompleted()
    {
        WritePendingConfirms();
        _output.Flush();
    }

    private void WriteConfirmFrames(List<(ulong Tag, bool Multiple, bool Ack)> frames)
    {
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

    /// <summary>
    /// tx.commit: delivers the buffered publishes and settles the buffered acks; commit-ok goes out
    /// once persistent messages in durable queues are on disk.
    /// </summary>
    private Task? HandleTxCommit()
    {
        var transaction = _transaction ?? throw AmqpException.PreconditionFailed("channel is not transactional", MethodIds.TxCommit);
        var waiter = new CommitWaiter();
        foreach (var (message, queues, delayed, mandatory) in transaction.Publishes)
        {
            try
            {
                waiter.Add();
                var outcome = _virtualHost.Enqueue(message, queues, delayed, Batch, waiter);
                if (!outcome.PersistPending)
                {
                    waiter.OnPersisted(0, success: true);
                }

                if (!outcome.Routed && mandatory)
                {
                    WriteReturn(message);
                }
            }
            finally
            {
                message.Release();
            }
        }

        foreach (var (deliveries, action) in transaction.Settles)
        {
            _session.Settle(deliveries, action, Batch);
        }

        transaction.Clear();
        var persisted = waiter.Seal();
        if (persisted.IsCompleted)
        {
            Reply(default(TxCommitOk));
            return null;
        }

        return ReplyAfter(persisted, default(TxCommitOk));
    }

    /// <summary>Counts down the persistent messages of one commit.</summary>
    private sealed class CommitWaiter : IPersistListener
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _pending = 1;

        /// <summary>All publishes are delivered: drop the guard count and wait for the rest.</summary>
        public Task Seal()
        {
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.TrySetResult();
            }

            return _done.Task;
        }

        public void Add() => Interlocked.Increment(ref _pending);

        public void OnPersisted(ulong confirmSequence, bool success)
        {
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.TrySetResult();
            }
        }

        public void OnPersistBatchCompleted()
        {
        }
    }

    private void HandleTxRollback()
    {
        var transaction = _transaction ?? throw AmqpException.PreconditionFailed("channel is not transactional", MethodIds.TxRollback);
        var restored = new List<UnackedDelivery>();
        foreach (var (deliveries, _) in transaction.Settles)
        {
            restored.AddRange(deliveries);
        }

        _session.RestoreUnacked(restored);
        foreach (var (message, _, _, _) in transaction.Publishes)
        {
            message.Release();
        }

        transaction.Clear();
        Reply(default(TxRollbackOk));
    }

    /// <summary>
    /// On channel close: uncommitted publishes are dropped; uncommitted acks leave their deliveries
    /// unacknowledged, so they are returned for the session to requeue.
    /// </summary>
    private List<UnackedDelivery>? ReleaseTransaction()
    {
        if (_transaction is not { } transaction)
        {
            return null;
        }

        foreach (var (message, _, _, _) in transaction.Publishes)
        {
            message.Release();
        }

        var unacked = new List<UnackedDelivery>();
        foreach (var (deliveries, _) in transaction.Settles)
        {
            unacked.AddRange(deliveries);
        }

        transaction.Clear();
        return unacked;
    }

    /// <summary>What a transactional channel has done since its last commit or rollback.</summary>
    private sealed class Transaction
    {
        public List<(Message Message, List<MessageQueue> Queues, List<DelayedRoute>? Delayed, bool Mandatory)> Publishes { get; } = [];

        public List<(List<UnackedDelivery> Deliveries, SettleAction Action)> Settles { get; } = [];

        /// <summary>Takes over the publisher's reference to the message; routing was done at publish time.</summary>
        public void AddPublish(Message message, RouteTargets targets, bool mandatory)
        {
            message.AddReference();
            Publishes.Add((message, [.. targets.Queues], targets.Delayed.Count > 0 ? [.. targets.Delayed] : null, mandatory));
        }

        public void AddSettle(List<UnackedDelivery> deliveries, SettleAction action) => Settles.Add(([.. deliveries], action));

        public void Clear()
        {
            Publishes.Clear();
            Settles.Clear();
        }
    }
}
