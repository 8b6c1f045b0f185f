namespace Broker.Testing;

/// <summary>
/// The broker a test suite runs against: the one whose URI an environment variable names (a RabbitMQ,
/// to check that tests pin RabbitMQ's behaviour), else an <see cref="EmbeddedBroker"/> started here.
/// The same tests then run against both without change.
/// </summary>
/// <example>
/// <code>
/// // BROKER_TEST_URI=amqp://guest:guest@127.0.0.1:5673/ dotnet test   (runs against that broker)
/// await using var broker = await TestBroker.StartAsync();
/// var factory = new ConnectionFactory { Uri = broker.Uri };
/// ...
/// broker.ThrowIfErrors();   // after each test: fails it if the embedded broker logged a failure
/// </code>
/// </example>
public sealed class TestBroker : IAsyncDisposable
{
    /// <summary>The environment variable read by default.</summary>
    public const string DefaultUriVariable = "BROKER_TEST_URI";

    /// <summary>The environment variable naming an external broker's management API (http://USER:PASSWORD@HOST:PORT/).</summary>
    public const string ManagementUriVariable = "BROKER_TEST_MANAGEMENT_URI";

    private TestBroker(Uri uri, EmbeddedBroker? embedded, Uri? managementUri)
    {
        Uri = uri;
        Embedded = embedded;
        ManagementUri = managementUri;
    }

    /// <summary>
    /// The management API of the broker under test: BROKER_TEST_MANAGEMENT_URI for an external broker,
    /// the embedded broker's when it was started with a management port; null otherwise. Credentials, if
    /// any, are in its user info.
    /// </summary>
    public Uri? ManagementUri { get; }

    /// <summary>amqp://USER:PASSWORD@HOST:PORT/ of the broker under test.</summary>
    public Uri Uri { get; }

    /// <summary>True when the tests run against an external broker (RabbitMQ or another Broker).</summary>
    public bool IsExternal => Embedded is null;

    /// <summary>The broker started in this process; null when the tests use an external one.</summary>
    public EmbeddedBroker? Embedded { get; }

    /// <summary>
    /// The broker at the URI in <paramref name="uriVariable"/> when it is set, else an embedded broker
    /// started with <paramref name="options"/>.
    /// </summary>
    public static async Task<TestBroker> StartAsync(string uriVariable = DefaultUriVariable, EmbeddedBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable(uriVariable);
        if (!string.IsNullOrEmpty(external))
        {
            var management = Environment.GetEnvironmentVariable(ManagementUriVariable);
            return new TestBroker(new Uri(external), embedded: null, string.IsNullOrEmpty(management) ? null : new Uri(management));
        }

        var embedded = await EmbeddedBroker.StartAsync(options, cancellationToken);
        return new TestBroker(embedded.AmqpUri, embedded, embedded.ManagementUri);
    }

    /// <summary>
    /// Throws when the embedded broker logged an error since the last call (nothing to check for an
    /// external broker). <paramref name="context"/> names what ran, e.g. the test.
    /// </summary>
    public void ThrowIfErrors(string? context = null)
    {
        if (Embedded?.TakeErrors() is { Count: > 0 } errors)
        {
            throw new BrokerErrorsException(context, errors);
        }
    }

    /// <summary>Stops the embedded broker, if one was started.</summary>
    public ValueTask DisposeAsync() => Embedded?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>The broker logged errors while a test ran: a failure inside the broker, which the test caused or met.</summary>
public sealed class BrokerErrorsException(string? context, IReadOnlyList<BrokerLogEntry> errors)
    : Exception($"the broker logged {errors.Count} error(s){(context is null ? "" : $" during {context}")}:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    /// <summary>What the broker logged.</summary>
    public IReadOnlyList<BrokerLogEntry> Errors { get; } = errors;
}
