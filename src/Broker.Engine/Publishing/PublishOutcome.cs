namespace Broker.Engine.Publishing;

/// <summary>What became of one published message.</summary>
/// <param name="Queues">Queues that received it or refused it (a queue deleted meanwhile does not count).</param>
/// <param name="Rejected">A queue refused it (x-overflow reject-publish) or a durable copy could not be stored: a confirm is a nack.</param>
/// <param name="PersistPending">
/// Durable copies are still on their way to disk: the persist listener given to the publish is told
/// when they are synced (and a confirm waits for that); false means the outcome is final now.
/// </param>
/// <param name="InvalidDelay">
/// A delayed message exchange could not read the x-delay header (a string that is not an integer):
/// nothing was enqueued, and the publisher's connection is closed as the plugin's crash closes it.
/// </param>
public readonly record struct PublishOutcome(int Queues, bool Rejected, bool PersistPending, bool InvalidDelay = false)
{
    /// <summary>Some queue took (or refused) the message: no basic.return for a mandatory publish.</summary>
    public bool Routed => Queues > 0;
}
