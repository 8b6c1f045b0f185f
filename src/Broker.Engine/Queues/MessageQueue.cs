using Broker.DataModel.Encoding;
using Broker.Engine.Delivery;
using Broker.Engine.Errors;
using Broker.Engine.Messages;
using Broker.Engine.Policies;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Queues;

/// <summary>
/// A queue, whatever its type: what the virtual host, sessions and (later) the management API see.
/// An abstract class rather than an interface because every type shares the same identity,
/// exclusivity and effective-settings handling, and because the hot path (enqueue, deliver, settle)
/// then costs one virtual call instead of an interface dispatch. Types plug in through
/// <see cref="QueueType"/>.
/// </summary>
public abstract class MessageQueue : IBindingDestination
{
    private volatile QueueSettings _settings;
    private volatile QueuePolicies _policies;

    protected MessageQueue(VirtualHost virtualHost, QueueType type, in QueueDeclaration declaration)
    {
        VirtualHost = virtualHost;
        Type = type;
        Name = declaration.Name;
        Durable = declaration.Durable;
        Exclusive = declaration.Exclusive;
        AutoDelete = declaration.AutoDelete;
        Arguments = declaration.Arguments;
        ExclusiveOwner = declaration.Owner;

        // Created under the vhost's lock: a policy change either comes before (and is matched here) or
        // after (and finds this queue in the vhost).
        _policies = virtualHost.MatchQueue(declaration.Name, type);
        _settings = type.Effective(QueueSettings.FromArguments(_policies.EffectiveArguments(type, declaration.Arguments)));
    }

    public VirtualHost VirtualHost { get; }

    public QueueType Type { get; }

    public string Name { get; }

    public bool Durable { get; }

    public bool Exclusive { get; }

    public bool AutoDelete { get; }

    /// <summary>The arguments it was declared with (what redeclarations are compared against).</summary>
    public FieldTable Arguments { get; }

    /// <summary>The connection that declared an exclusive queue; null for shared queues.</summary>
    public IClientConnection? ExclusiveOwner { get; }

    /// <summary>
    /// What the queue does now: TTL, limits, overflow, dead-lettering, expiry, delivery limit. From its
    /// arguments and the policies matching it; <see cref="ApplySettings"/> replaces them on the live queue.
    /// </summary>
    public QueueSettings Settings => _settings;

    /// <summary>The policy in force on the queue, or null.</summary>
    public Policy? Policy => _policies.Policy;

    /// <summary>The operator policy in force on the queue, or null.</summary>
    public Policy? OperatorPolicy => _policies.OperatorPolicy;

    /// <summary>What the two policies define together (the management API's effective_policy_definition); empty without policies.</summary>
    public FieldTable EffectivePolicyDefinition => _policies.EffectiveDefinition;

    internal QueuePolicies Policies => _policies;

    /// <summary>Set once the queue is deleted; later operations on it are no-ops.</summary>
    public bool IsDeleted { get; protected set; }

    public string DisplayName => Names.Queue(Name, VirtualHost.Name);

    /// <summary>Ready messages (in memory and in its log).</summary>
    public long MessageCount => GetCounts().Messages;

    public int ConsumerCount => GetCounts().Consumers;

    /// <summary>Messages delivered and not yet settled.</summary>
    public int UnackedCount => GetCounts().Unacked;

    /// <summary>True when <paramref name="connection"/> may use the queue (it is not exclusive to another).</summary>
    public bool IsAccessibleBy(IClientConnection? connection) => ExclusiveOwner is null || ReferenceEquals(ExclusiveOwner, connection);

    /// <summary>
    /// Replaces the effective settings of the live queue (a policy changed): timers re-armed, a lower
    /// limit applied at once, a new dead-letter target used from now on. A queue's priority levels and
    /// single-active-consumer mode stay as declared (RabbitMQ does not change them either).
    /// </summary>
    public void ApplySettings(QueueSettings settings) => OnApplySettings(Type.Effective(settings.KeepingFixedFrom(_settings)));

    /// <summary>
    /// Puts the policies now matching the queue in force: its settings become what its arguments and
    /// their definitions come to on its type. Called by the vhost, one policy change at a time.
    /// </summary>
    internal void ApplyPolicies(QueuePolicies policies)
    {
        _policies = policies;
        ApplySettings(QueueSettings.FromArguments(policies.EffectiveArguments(Type, Arguments)));
    }

    /// <summary>
    /// Puts <paramref name="settings"/> in force: the type swaps them in with <see cref="SwapSettings"/>
    /// under its own lock, so an operation in progress sees one set, then acts on the change.
    /// </summary>
    protected abstract void OnApplySettings(QueueSettings settings);

    /// <summary>Replaces the settings and returns the ones they replace. Under the queue's lock.</summary>
    protected QueueSettings SwapSettings(QueueSettings settings)
    {
        var previous = _settings;
        _settings = settings;
        return previous;
    }

    /// <summary>
    /// Adds a message (the caller keeps its own reference). A persistent message in a durable queue
    /// is appended to the log, and its publisher's persist tracking waits for the sync.
    /// </summary>
    public abstract EnqueueResult Enqueue(Message message, FlushBatch batch);

    /// <summary>
    /// Adds a consumer without delivering to it yet (the caller replies consume-ok first, then pumps).
    /// Exclusive consumers refuse company and company refuses them, with RabbitMQ's 403.
    /// </summary>
    public abstract EngineError AddConsumer(Consumer consumer);

    /// <summary>
    /// Removes a consumer. Returns true when the queue is auto-delete and this was its last consumer,
    /// so the caller should delete it.
    /// </summary>
    public abstract bool RemoveConsumer(Consumer consumer);

    /// <summary>basic.get: takes the head message. <paramref name="remaining"/> is the ready count after it.</summary>
    public abstract bool TryGet(bool noAck, out QueueEntry entry, out long remaining, FlushBatch batch);

    /// <summary>basic.get without a caller's batch (tests, tools): what it writes to consumers is flushed at once.</summary>
    public bool TryGet(bool noAck, out QueueEntry entry, out long remaining)
    {
        var batch = new FlushBatch();
        var found = TryGet(noAck, out entry, out remaining, batch);
        batch.FlushAll();
        return found;
    }

    /// <summary>Settles deliveries this queue handed out; then delivers what the freed credit allows.</summary>
    public abstract void Settle(ReadOnlySpan<QueueEntry> entries, SettleAction action, FlushBatch batch);

    public void Settle(in QueueEntry entry, SettleAction action, FlushBatch batch) =>
        Settle(new ReadOnlySpan<QueueEntry>(in entry), action, batch);

    /// <summary>Delivers to consumers that have credit now (after an ack elsewhere freed channel credit).</summary>
    public abstract void Pump(FlushBatch batch);

    /// <summary>Asks for a delivery run on the thread pool (after a consumer's output drained).</summary>
    public abstract void SchedulePump();

    /// <summary>A redeclaration counts as use for x-expires.</summary>
    public abstract void Touch();

    /// <summary>queue.purge: drops ready messages (not unacknowledged ones) and returns how many.</summary>
    public abstract long Purge();

    /// <summary>Ready messages, consumers and unacknowledged deliveries, read together.</summary>
    public abstract QueueCounts GetCounts();

    /// <summary>Counts with their sizes, for monitoring (the management API's queue details).</summary>
    public virtual QueueDetails GetDetails()
    {
        var counts = GetCounts();
        return new QueueDetails(counts, ReadyBytes: 0, InMemoryCount: 0, InMemoryBytes: 0);
    }

    /// <summary>Adds the queue's consumers to <paramref name="into"/> (a snapshot for monitoring).</summary>
    public abstract void CopyConsumers(List<Consumer> into);

    /// <summary>Message counters since declaration (management message_stats).</summary>
    public Monitoring.QueueStats Stats { get; } = new();

    /// <summary>After recovery, with bindings in place: drop what expired while the broker was stopped.</summary>
    public abstract void StartRecovered();

    /// <summary>
    /// For a message this queue dead-letters at least once: the listener that settles its record once
    /// the dead-lettered copies are on disk (told with the entry's sequence); null when the record is
    /// already settled.
    /// </summary>
    internal virtual IPersistListener? DeadLetterSettlement(in QueueEntry entry) => null;

    /// <summary>
    /// Marks the queue deleted, drops its messages and its log, and detaches its consumers, which are
    /// returned so the caller can tell their sessions. Returns the ready count.
    /// </summary>
    internal abstract long MarkDeleted(List<Consumer> detachedConsumers);
}

/// <summary>A queue's numbers at one moment.</summary>
public readonly record struct QueueCounts(long Messages, int Consumers, int Unacked);

/// <summary>A queue's counts and sizes at one moment: body bytes of ready messages, and what of them is held in memory.</summary>
public readonly record struct QueueDetails(QueueCounts Counts, long ReadyBytes, long InMemoryCount, long InMemoryBytes);
