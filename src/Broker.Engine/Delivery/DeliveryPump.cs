using Broker.Engine.Queues;

namespace Broker.Engine.Delivery;

/// <summary>
/// A queue's delivery runs on the thread pool, one run at a time: asked for while queued it is not
/// queued twice, asked for while running it runs once more afterwards, and a run that stopped on its
/// budget with more to deliver reschedules itself. Its flags are guarded by the queue's lock; the run
/// itself takes that lock as it needs.
/// </summary>
internal sealed class DeliveryPump : IThreadPoolWorkItem
{
    private readonly Lock _queueLock;
    private readonly MessageQueue _queue;
    private readonly Func<bool> _run;
    private bool _queued;
    private bool _running;
    private bool _again;

    /// <param name="run">One delivery run, called without the queue's lock; true when it stopped with more to deliver.</param>
    public DeliveryPump(Lock queueLock, MessageQueue queue, Func<bool> run)
    {
        _queueLock = queueLock;
        _queue = queue;
        _run = run;
    }

    /// <summary>Asks for a run. Under the queue's lock.</summary>
    public void ScheduleLocked()
    {
        if (_running)
        {
            _again = true;
        }
        else if (!_queued && !_queue.IsDeleted)
        {
            _queued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        lock (_queueLock)
        {
            _queued = false;
            if (_running)
            {
                _again = true;
                return;
            }

            _running = true;
        }

        var more = false;
        try
        {
            more = _run();
        }
        catch (Exception ex)
        {
            _queue.VirtualHost.Engine.ReportUnexpected(ex, $"delivery pump of {_queue.DisplayName}");
        }

        lock (_queueLock)
        {
            _running = false;
            if (more || _again)
            {
                _again = false;
                ScheduleLocked();
            }
        }
    }
}
