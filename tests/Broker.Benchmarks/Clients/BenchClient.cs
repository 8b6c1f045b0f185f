namespace Broker.Benchmarks.Clients;

/// <summary>Sees the start of each delivered body (the latency scenario reads its timestamp there).</summary>
internal delegate void BodyObserver(ReadOnlySpan<byte> body);

/// <summary>Deliveries counted by one consumer; written by its delivery loop, read by the coordinator.</summary>
internal sealed class ConsumerCounter
{
    private long _delivered;

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Called only by the one thread that handles this consumer's deliveries.</summary>
    public void Increment() => Volatile.Write(ref _delivered, _delivered + 1);
}

/// <summary>
/// One AMQP connection with one channel, as the scenarios use it: declare and delete topology,
/// consume with manual multiple acks, publish. Implemented with RabbitMQ.Client and with raw frames.
/// </summary>
internal interface IBenchConnection : IAsyncDisposable
{
    /// <summary>Set when the broker closed the connection or channel, or the socket failed.</summary>
    Exception? Failure { get; }

    /// <summary>queue.declare; arguments such as x-queue-type go in its table (null: empty).</summary>
    Task DeclareQueueAsync(string name, bool durable, IDictionary<string, object?>? arguments, CancellationToken ct);

    Task DeclareExchangeAsync(string name, string type, CancellationToken ct);

    Task BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken ct);

    Task DeleteQueueAsync(string name, CancellationToken ct);

    /// <summary>queue.declare passive: the queue's message count (the broker closes the channel when it does not exist).</summary>
    Task<uint> QueueMessageCountAsync(string name, CancellationToken ct);

    Task DeleteExchangeAsync(string name, CancellationToken ct);

    /// <summary>
    /// basic.qos + basic.consume (manual acks, arguments such as x-stream-offset in its table); returns after
    /// consume-ok. Acks with multiple=true every ackEvery deliveries.
    /// </summary>
    Task StartConsumerAsync(string queue, ushort prefetch, int ackEvery, ConsumerCounter counter, BodyObserver? observer,
        IDictionary<string, object?>? arguments, CancellationToken ct);

    /// <summary>A publisher on this connection; with a tracker the channel is put in confirm mode first.</summary>
    Task<IBenchPublisher> CreatePublisherAsync(string exchange, string routingKey, int bodySize, bool persistent, ConfirmTracker? confirms, CancellationToken ct);
}

/// <summary>Publishes copies of one message.</summary>
internal interface IBenchPublisher
{
    /// <summary>Publishes count copies; completes when they are handed to the socket (or the client's write buffer).</summary>
    ValueTask PublishAsync(int count, CancellationToken ct);

    /// <summary>Puts the timestamp in the body's first 8 bytes (little endian) and publishes one message.</summary>
    ValueTask PublishStampedAsync(long timestamp, CancellationToken ct);
}

/// <summary>Opens connections of one client kind.</summary>
internal static class BenchClient
{
    /// <summary>How long a connection (TCP, handshake, channel.open) may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    public static async Task<IBenchConnection> ConnectAsync(ClientKind kind, Uri uri, string connectionName, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(ConnectTimeout);
        try
        {
            return kind switch
            {
                ClientKind.Raw => await RawConnection.ConnectAsync(uri, connectionName, cts.Token),
                _ => await DotnetConnection.ConnectAsync(uri, connectionName, cts.Token),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"connecting to {uri.Host}:{uri.Port} took more than {ConnectTimeout.TotalSeconds:0} s");
        }
    }

    public static string Describe(ClientKind kind) => kind == ClientKind.Raw ? "raw" : "dotnet";
}
