using Broker.Engine.Delivery;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Classic;

public sealed partial class ClassicQueue
{
    /// <summary>
    /// Reads the tail back into the head on the thread pool, outside the queue's lock (the read may
    /// touch the disk); a purge or delete meanwhile makes it throw away what it read.
    /// </summary>
    private sealed class Refiller : IThreadPoolWorkItem
    {
        private readonly ClassicQueue _queue;
        private readonly List<QueueEntry> _read = [];
        private readonly FlushBatch _batch = new();
        private readonly Lock _readLock = new();
        private bool _queued;

        public Refiller(ClassicQueue queue)
        {
            _queue = queue;
        }

        public void ScheduleLocked()
        {
            if (!_queued && !_queue.IsDeleted)
            {
                _queued = true;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        public void Execute()
        {
            lock (_queue._lock)
            {
                _queued = false;
            }

            // The read lock is held through the flush: a second run (scheduled while this one runs)
            // waits for it instead of sharing the batch.
            lock (_readLock)
            {
                try
                {
                    RefillNow(_batch);
                    _queue.DeadLetterPending(_batch);
                    _batch.FlushAll();
                }
                catch (Exception ex)
                {
                    _queue.VirtualHost.Engine.ReportUnexpected(ex, $"refill of {_queue.DisplayName}");
                }
            }
        }

        /// <summary>Reads one batch from the tail into the head and delivers what it can into <paramref name="batch"/>.</summary>
        public void RefillNow(FlushBatch batch)
        {
            // One reader at a time: two would read the same records.
            lock (_readLock)
            {
                var queue = _queue;
                LogPosition cursor;
                int epoch;
                int want;
                long maxBytes;
                lock (queue._lock)
                {
                    if (queue.IsDeleted || queue._tailCount == 0 || queue._ready.Count >= queue._limits.RefillBelow)
                    {
                        return;
                    }

                    cursor = queue._tailCursor;
                    epoch = queue._tailEpoch;

                    // A priority queue reads its whole tail (only after a restart): its order is not the log's.
                    var all = queue._ready.HasPriorities;
                    want = all ? (int)Math.Min(queue._tailCount, int.MaxValue) : (int)Math.Min(queue._tailCount, queue._limits.RefillBatchCount);
                    maxBytes = all ? long.MaxValue : queue._limits.RefillBatchBytes;
                }

                _read.Clear();
                queue._log.Read(ref cursor, _read, want, maxBytes);
                lock (queue._lock)
                {
                    if (epoch != queue._tailEpoch || queue.IsDeleted)
                    {
                        // Purged (or deleted) while we read: what we read is gone too. Settle it so
                        // its segments can be reclaimed (the purge's range covers it for recovery).
                        SettleRead();
                        return;
                    }

                    Accept(cursor);
                    if (queue._consumers.Count > 0)
                    {
                        queue.DeliverLocked(batch);
                    }

                    queue.ExpireLocked();
                    queue.ArmExpiryTimerLocked();
                    if (queue._tailCount > 0 && queue._ready.Count < queue._limits.RefillBelow && queue._consumers.Count > 0)
                    {
                        ScheduleLocked();
                    }
                }
            }
        }

        /// <summary>
        /// Reads one batch while holding the queue's lock: only for dropping over a length limit with an
        /// empty head. Gives up (false) when a background read is under way; that read's completion
        /// enforces the limit.
        /// </summary>
        public bool RefillLocked()
        {
            if (!_readLock.TryEnter())
            {
                return false;
            }

            try
            {
                var queue = _queue;
                var cursor = queue._tailCursor;
                _read.Clear();
                queue._log.Read(ref cursor, _read, (int)Math.Min(queue._tailCount, queue._limits.RefillBatchCount), queue._limits.RefillBatchBytes);
                Accept(cursor);
                return _read.Count > 0 || queue._tailCount == 0;
            }
            finally
            {
                _read.Clear();
                _readLock.Exit();
            }
        }

        /// <summary>Moves what was read into the head. Under the queue's lock.</summary>
        private void Accept(LogPosition cursor)
        {
            var queue = _queue;
            foreach (var entry in _read)
            {
                queue._ready.Append(entry);
            }

            if (_read.Count == 0)
            {
                // The log has nothing more although we expected some: do not spin on it.
                queue._tailCount = 0;
            }
            else
            {
                queue._tailCount -= _read.Count;
                queue._tailFirstSequence = _read[^1].Sequence + 1;
            }

            queue._tailCursor = cursor;
            _read.Clear();
            if (queue.Settings.HasLengthLimit)
            {
                queue.DropOverLimitLocked();
            }
        }

        private void SettleRead()
        {
            foreach (var entry in _read)
            {
                _queue._log.Settle(entry.Location, entry.Sequence, persistent: false);
                entry.Message.Release();
            }

            _read.Clear();
        }
    }
}
