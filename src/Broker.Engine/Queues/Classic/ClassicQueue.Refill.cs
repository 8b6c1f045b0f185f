using Broker.Engine.Delivery;
using Broker.Engine.Stores;

namespace Broker.Engine.Queues.Classic;

public sealed partial class ClassicQueue
{
    /// <summary>
    /// Reads a tail back into the head on the thread pool, outside the queue's lock (the read may
    /// touch the disk); a purge or delete meanwhile makes it throw away what it read. A priority queue
    /// reads the tail of its highest level that has one.
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
                int level;
                int want;
                IQueueLog log;
                lock (queue._lock)
                {
                    if (queue.IsDeleted || !queue.NeedsRefillLocked())
                    {
                        return;
                    }

                    level = queue._tails.Length == 1 ? 0 : queue.TopTailLevelLocked();
                    ref readonly var tail = ref queue._tails[level];
                    cursor = tail.Cursor;
                    log = tail.Log;
                    want = (int)Math.Min(tail.Count, queue._limits.RefillBatchCount);
                    epoch = queue._tailEpoch;
                }

                _read.Clear();
                log.Read(ref cursor, _read, want, queue._limits.RefillBatchBytes);
                lock (queue._lock)
                {
                    if (epoch != queue._tailEpoch || queue.IsDeleted)
                    {
                        // Purged (or deleted) while we read: what we read is gone too. Settle it so
                        // its segments can be reclaimed (the purge's range covers it for recovery).
                        SettleRead(log);
                        return;
                    }

                    Accept(level, cursor);
                    if (queue._consumers.Count > 0)
                    {
                        queue.DeliverLocked(batch);
                    }

                    queue.ExpireLocked();
                    queue.ArmExpiryTimerLocked();
                    if (queue._consumers.Count > 0 && queue.NeedsRefillLocked())
                    {
                        ScheduleLocked();
                    }
                }
            }
        }

        /// <summary>
        /// Reads one batch while holding the queue's lock: only for dropping over a length limit when
        /// what comes next is in a tail. Gives up (false) when a background read is under way; that
        /// read's completion enforces the limit.
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
                var level = queue.TopTailLevelLocked();
                ref readonly var tail = ref queue._tails[level];
                var cursor = tail.Cursor;
                _read.Clear();
                tail.Log.Read(ref cursor, _read, (int)Math.Min(tail.Count, queue._limits.RefillBatchCount), queue._limits.RefillBatchBytes);
                var read = _read.Count;
                Accept(level, cursor);
                return read > 0 || queue._tailCount == 0;
            }
            finally
            {
                _read.Clear();
                _readLock.Exit();
            }
        }

        /// <summary>Moves what was read from <paramref name="level"/>'s tail into the head. Under the queue's lock.</summary>
        private void Accept(int level, LogPosition cursor)
        {
            var queue = _queue;
            ref var tail = ref queue._tails[level];
            foreach (var entry in _read)
            {
                if (queue._tails.Length > 1 && queue._ready.LevelOf(entry.Message) != level)
                {
                    queue.AdoptLocked(tail.Log, entry);
                    continue;
                }

                queue._ready.Append(entry);
            }

            if (_read.Count == 0)
            {
                // The log has nothing more although we expected some: do not spin on it.
                queue._tailCount -= tail.Count;
                tail.Count = 0;
            }
            else
            {
                tail.Count -= _read.Count;
                queue._tailCount -= _read.Count;
                tail.FirstSequence = _read[^1].Sequence + 1;
            }

            tail.Cursor = cursor;
            _read.Clear();
            if (queue.Settings.HasLengthLimit)
            {
                queue.DropOverLimitLocked();
            }
        }

        private void SettleRead(IQueueLog log)
        {
            foreach (var entry in _read)
            {
                log.Settle(entry.Location, entry.Sequence, persistent: false);
                entry.Message.Release();
            }

            _read.Clear();
        }
    }
}
