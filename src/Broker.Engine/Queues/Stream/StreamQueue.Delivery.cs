using Broker.Engine.Delivery;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Stream;

/// <summary>
/// The delivery pump: one run at a time on the thread pool, reading each consumer's next messages
/// from the log (outside the stream's lock) as far as its credit goes, filtering, and handing them
/// to its session. A delivery the session refuses (no credit left, output full) is read again next
/// time from its place in the log.
/// </summary>
public sealed partial class StreamQueue
{
    /// <summary>Most deliveries to one consumer in one run, before the others get their turn.</summary>
    private const int DeliveryBudget = 256;

    private const int ReadBatch = 64;
    private const long ReadBytes = 1024 * 1024;

    private readonly FlushBatch _pumpBatch = new();

    /// <summary>
    /// Held while the pump hands a batch to sessions, and by a cancel marking its subscription removed:
    /// once a cancel returns (and its cancel-ok goes out) no delivery to that consumer can follow.
    /// Lock order: this, then the session's.
    /// </summary>
    private readonly Lock _deliveryLock = new();
    private readonly List<StreamSubscription> _pumpList = [];
    private readonly List<QueueEntry> _read = new(ReadBatch);

    /// <summary>Deliveries happen on the pump: a pump asked for by the caller runs there too.</summary>
    public override void Pump(FlushBatch batch) => SchedulePump();

    public override void SchedulePump()
    {
        lock (_lock)
        {
            _pump.ScheduleLocked();
        }
    }

    /// <summary>One run of the delivery pump (see <see cref="DeliveryPump"/>): true when a consumer stopped on its budget.</summary>
    private bool RunDelivery()
    {
        lock (_lock)
        {
            _pumpList.Clear();
            _pumpList.AddRange(_subscriptions);
        }

        var more = false;
        foreach (var subscription in _pumpList)
        {
            more |= DeliverTo(subscription);
        }

        _pumpList.Clear();
        _pumpBatch.FlushAll();
        return more;
    }

    /// <summary>Delivers to one consumer what its credit allows. True when it stopped on its budget with more to read.</summary>
    private bool DeliverTo(StreamSubscription subscription)
    {
        var consumer = subscription.Consumer;
        var budget = DeliveryBudget;

        // Records passed over (filtered out, before the start) count too, so a consumer whose filter
        // matches little cannot hold the pump while publishers keep appending.
        var readBudget = DeliveryBudget * 16;
        while (budget > 0 && readBudget > 0 && !subscription.Removed && subscription.NextOffset < Volatile.Read(ref _next))
        {
            // A hint read without the session's lock: the session decides, and an ack schedules a pump.
            var credit = consumer.PrefetchLimit - consumer.Unacked;
            if (credit <= 0)
            {
                return false;
            }

            var cursor = subscription.Cursor;
            _read.Clear();
            var read = _log.Read(ref cursor, _read, Math.Min(Math.Min(credit, budget), ReadBatch), ReadBytes);
            if (read == 0)
            {
                return false;
            }

            readBudget -= read;
            var handed = 0;
            var refused = false;
            try
            {
                using var handing = _deliveryLock.EnterScope();
                for (; handed < _read.Count && !refused; handed++)
                {
                    var entry = _read[handed];
                    if (entry.Sequence < subscription.NextOffset || (subscription.Filter is { } filter && !filter.Matches(entry.Message.Properties)))
                    {
                        // Before the start a search landed near, or filtered out: passed over.
                        subscription.NextOffset = Math.Max(subscription.NextOffset, entry.Sequence + 1);
                        entry.Message.Release();
                        continue;
                    }

                    if (subscription.Removed || !consumer.Session.TryDeliver(consumer, this, entry, _pumpBatch))
                    {
                        // Read again from here next time (released below with the rest).
                        refused = true;
                        cursor = RecordLocation.Unpack(entry.Location);
                        break;
                    }

                    subscription.NextOffset = entry.Sequence + 1;
                    budget--;
                }
            }
            finally
            {
                // What was read and not handed over (refused, or an exception) goes back to the pool.
                for (var i = handed; i < _read.Count; i++)
                {
                    _read[i].Message.Release();
                }

                _read.Clear();
            }

            subscription.Cursor = cursor;
            if (refused)
            {
                return false;
            }
        }

        return budget == 0 || readBudget <= 0;
    }
}
