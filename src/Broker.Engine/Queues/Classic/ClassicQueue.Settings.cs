using Broker.Engine.Delivery;

namespace Broker.Engine.Queues.Classic;

public sealed partial class ClassicQueue
{
    /// <summary>
    /// New effective settings on the live queue. Expiries already given to messages stay (RabbitMQ fixes
    /// a message's expiry when it arrives); what is expired or over a new limit goes now, timers are
    /// re-armed, and consumers get what the change lets through.
    /// </summary>
    protected override void OnApplySettings(QueueSettings settings)
    {
        var batch = new FlushBatch();
        lock (_lock)
        {
            var previous = SwapSettings(settings);
            if (IsDeleted)
            {
                return;
            }

            if (settings.Expires != previous.Expires)
            {
                RestartIdleTimerLocked();
            }

            if (settings.HasLengthLimit)
            {
                DropOverLimitLocked();
            }

            ExpireLocked();
            _expiryTimerDue = QueueEntry.NoExpiry;
            ArmExpiryTimerLocked();
            if (_consumers.Count > 0)
            {
                DeliverLocked(batch);
            }
        }

        DeadLetterPending(batch);
        batch.FlushAll();
    }
}
