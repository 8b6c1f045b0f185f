using Broker.Engine.Delivery;
using Broker.Engine.Messages;

namespace Broker.Engine.Queues.Classic;

public sealed partial class ClassicQueue
{
    private readonly List<QueueEntry> _expiredScratch = [];
    private Timer? _expiryTimer;
    private long _expiryTimerDue = QueueEntry.NoExpiry;
    private Timer? _idleTimer;
    private long _lastUsed = Environment.TickCount64;

    /// <summary>Current time as message expiries count it: Unix milliseconds, so they survive restarts.</summary>
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>When a message arriving now expires: the lower of the queue's x-message-ttl and its own expiration.</summary>
    private long ExpiryFor(Message message)
    {
        var ttl = Settings.MessageTtl;
        var own = message.TimeToLive;
        if (own >= 0 && (ttl < 0 || own < ttl))
        {
            ttl = own;
        }

        return ttl < 0 ? QueueEntry.NoExpiry : Now + ttl;
    }

    /// <summary>
    /// Drops (or dead-letters) expired messages at the head, as RabbitMQ does: only at the head. In a
    /// priority queue that is the head of the highest level with messages, and of the next level down
    /// only once a level is empty (RabbitMQ's dropwhile over its backing queues, highest first); a
    /// level whose next messages are in its tail stops it until they are read back.
    /// </summary>
    private void ExpireLocked()
    {
        if (_ready.Count == 0)
        {
            return;
        }

        var next = _ready.PeekHead().ExpiresAt;
        if (next == QueueEntry.NoExpiry)
        {
            return;
        }

        var now = Now;
        if (next > now || !HeadIsNextLocked())
        {
            return;
        }

        var expired = _expiredScratch;
        for (var level = _ready.HeadLevel; level >= 0; level--)
        {
            while (_ready.CountAt(level) > 0 && _ready.PeekAt(level).ExpiresAt <= now)
            {
                expired.Add(_ready.TakeAt(level));
            }

            if (_ready.CountAt(level) > 0 || _tails[level].Count > 0)
            {
                break;
            }
        }

        foreach (var entry in expired)
        {
            _readyBodyBytes -= entry.Message.BodyLength;
            RemoveLocked(entry, DeadLetterReason.Expired);
        }

        expired.Clear();
    }

    /// <summary>
    /// After recovery: a queue with a message TTL drops what expired while the broker was down, at once,
    /// as RabbitMQ does when it starts a queue, instead of waiting for traffic to read its tail.
    /// </summary>
    public override void StartRecovered()
    {
        lock (_lock)
        {
            ArmExpiryTimerLocked();
        }
    }

    /// <summary>Wakes the queue when its earliest head message expires, so expiry does not wait for traffic.</summary>
    private void ArmExpiryTimerLocked()
    {
        if (IsDeleted)
        {
            return;
        }

        var headIsNext = _ready.Count > 0 && HeadIsNextLocked();
        if (!headIsNext && _tailCount > 0 && Settings.MessageTtl >= 0)
        {
            // Expiries are in a tail: read it back to find them.
            _refiller.ScheduleLocked();
            return;
        }

        var next = headIsNext ? _ready.PeekHead().ExpiresAt : QueueEntry.NoExpiry;
        if (next == QueueEntry.NoExpiry || next >= _expiryTimerDue)
        {
            return;
        }

        // Timers take at most about 49 days; a later expiry wakes the queue early and it re-arms.
        const long MaxTimerDelay = 3_600_000;
        var delay = Math.Clamp(next - Now, 0, MaxTimerDelay);
        _expiryTimerDue = Now + delay;
        _expiryTimer ??= new Timer(static state => ((ClassicQueue)state!).Guarded(static queue => queue.OnExpiryTimer(), "message expiry"), this, Timeout.Infinite, Timeout.Infinite);
        _expiryTimer.Change(delay, Timeout.Infinite);
    }

    private void OnExpiryTimer()
    {
        // Its own batch: a re-armed timer may fire again before this callback is done flushing.
        var batch = new FlushBatch();
        lock (_lock)
        {
            _expiryTimerDue = QueueEntry.NoExpiry;
            ExpireLocked();
            if (_consumers.Count > 0)
            {
                DeliverLocked(batch);
            }

            ArmExpiryTimerLocked();
        }

        DeadLetterPending(batch);
        batch.FlushAll();
    }

    /// <summary>x-expires: the queue is deleted after that long without consumers, gets or redeclarations.</summary>
    private void StartExpiryTimers()
    {
        if (Settings.Expires > 0)
        {
            _idleTimer = new Timer(static state => ((ClassicQueue)state!).Guarded(static queue => queue.OnIdleTimer(), "queue expiry"), this, Math.Min(Settings.Expires, MaxIdleTimerDelay), Timeout.Infinite);
        }
    }

    private const long MaxIdleTimerDelay = 3_600_000;

    private void TouchLocked() => _lastUsed = Environment.TickCount64;

    private bool IsIdleFor(long milliseconds)
    {
        if (milliseconds <= 0)
        {
            return false;
        }

        lock (_lock)
        {
            return _consumers.Count == 0 && Environment.TickCount64 - _lastUsed >= milliseconds;
        }
    }

    private void OnIdleTimer()
    {
        bool expire;
        long remaining = 0;
        lock (_lock)
        {
            if (IsDeleted)
            {
                return;
            }

            var expires = Settings.Expires;
            if (expires <= 0)
            {
                // The setting went away since the timer was armed.
                return;
            }

            var idle = Environment.TickCount64 - _lastUsed;
            expire = _consumers.Count == 0 && idle >= expires;
            if (!expire)
            {
                remaining = _consumers.Count > 0 ? expires : expires - idle;
            }
        }

        if (expire)
        {
            // Messages of an expired queue are not dead-lettered (RabbitMQ's ttl.md). Idleness is asked
            // again under the vhost's lock: a consumer, get or redeclaration since then keeps the queue.
            VirtualHost.DeleteQueue(this, static queue => !((ClassicQueue)queue).IsIdleFor(queue.Settings.Expires));
            if (IsDeleted)
            {
                return;
            }

            remaining = Settings.Expires;
        }

        _idleTimer?.Change(Math.Clamp(remaining, 1, MaxIdleTimerDelay), Timeout.Infinite);
    }

    /// <summary>x-expires changed on the live queue: the idle clock starts again under the new value.</summary>
    private void RestartIdleTimerLocked()
    {
        _idleTimer?.Dispose();
        _idleTimer = null;
        TouchLocked();
        StartExpiryTimers();
    }

    /// <summary>Runs timer work, reporting instead of crashing the process on failure.</summary>
    private void Guarded(Action<ClassicQueue> work, string what)
    {
        try
        {
            work(this);
        }
        catch (Exception ex)
        {
            VirtualHost.Engine.ReportUnexpected(ex, $"{what} of {DisplayName}");
        }
    }

    private void StopTimersLocked()
    {
        _expiryTimer?.Dispose();
        _idleTimer?.Dispose();
        _expiryTimer = null;
        _idleTimer = null;
    }
}
