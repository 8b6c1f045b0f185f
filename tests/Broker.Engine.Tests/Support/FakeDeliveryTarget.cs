using Broker.Engine.Delivery;
using Broker.Engine.Messages;
using Broker.Engine.Queues;
using Broker.Engine.Sessions;

namespace Broker.Engine.Tests.Support;

/// <summary>
/// A session's output for tests: records what the session writes (deliveries, get-oks) and the consumers
/// queues cancelled. <see cref="Refuse"/> makes it act like saturated or closed output. Writes come under
/// the session's lock, possibly from a queue's thread-pool pump, so reads take a snapshot under its own.
/// </summary>
internal sealed class FakeDeliveryTarget : IDeliveryTarget
{
    private readonly Lock _lock = new();
    private readonly List<WrittenDelivery> _deliveries = [];
    private readonly List<WrittenGetOk> _getOks = [];
    private readonly List<Consumer> _cancelled = [];
    private volatile bool _refuse;

    /// <summary>While true, every delivery write is refused (returns false, writes nothing).</summary>
    public bool Refuse
    {
        get => _refuse;
        set => _refuse = value;
    }

    /// <summary>Writes refused while <see cref="Refuse"/> was set.</summary>
    public int Refusals { get; private set; }

    public List<WrittenDelivery> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    public List<WrittenGetOk> GetOks
    {
        get
        {
            lock (_lock)
            {
                return [.. _getOks];
            }
        }
    }

    public List<Consumer> Cancelled
    {
        get
        {
            lock (_lock)
            {
                return [.. _cancelled];
            }
        }
    }

    public bool TryWriteDelivery(ReadOnlySpan<byte> consumerTag, ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, bool yieldIfSaturated, FlushBatch batch)
    {
        lock (_lock)
        {
            if (_refuse)
            {
                Refusals++;
                return false;
            }

            _deliveries.Add(new WrittenDelivery(System.Text.Encoding.UTF8.GetString(consumerTag), deliveryTag, redelivered, TestMessages.Id(message), annotation));
            return true;
        }
    }

    public void WriteGetOk(ulong deliveryTag, bool redelivered, Message message, in DeliveryAnnotation annotation, long remaining)
    {
        lock (_lock)
        {
            _getOks.Add(new WrittenGetOk(deliveryTag, redelivered, TestMessages.Id(message), remaining, annotation));
        }
    }

    public void WriteConsumerCancelled(Consumer consumer)
    {
        lock (_lock)
        {
            _cancelled.Add(consumer);
        }
    }

    /// <summary>Ids of the messages delivered to consumers, in write order.</summary>
    public List<string> Ids() => [.. Deliveries.Select(d => d.MessageId)];

    /// <summary>Delivery tags written to consumers, in write order.</summary>
    public List<ulong> Tags() => [.. Deliveries.Select(d => d.DeliveryTag)];

    /// <summary>How many times the session asked for what it wrote outside a batch to be sent.</summary>
    public int Flushes { get; private set; }

    public void Flush() => Flushes++;
}

/// <summary>A basic.deliver as the session wrote it; the message id is read at write time.</summary>
internal sealed record WrittenDelivery(string ConsumerTag, ulong DeliveryTag, bool Redelivered, string MessageId, DeliveryAnnotation Annotation = default);

/// <summary>A basic.get-ok as the session wrote it.</summary>
internal sealed record WrittenGetOk(ulong DeliveryTag, bool Redelivered, string MessageId, long Remaining, DeliveryAnnotation Annotation = default);
