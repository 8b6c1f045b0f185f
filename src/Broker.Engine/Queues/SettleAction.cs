namespace Broker.Engine.Queues;

public enum SettleAction : byte
{
    /// <summary>basic.ack: done with the message.</summary>
    Ack,

    /// <summary>nack/reject with requeue, or the channel closed: back to its original position.</summary>
    Requeue,

    /// <summary>nack/reject without requeue: dropped.</summary>
    Discard,
}
