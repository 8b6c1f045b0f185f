namespace Broker.Cli.Tests.EndToEnd;

/// <summary>
/// The broker the end-to-end tests manage, and the CLI run against it: each test works in a vhost of
/// its own (unique name) and deletes it, so they leave nothing behind and run beside anything else.
/// </summary>
internal static class ManagementApi
{
    // Without BROKER_TEST_MANAGEMENT_URI the tests manage a broker started here (management on a free
    // port), so they always run; one for the whole test process, disposed when it exits.
    private static readonly Lazy<Broker.Testing.EmbeddedBroker> Embedded = new(StartEmbedded);

    public static string Uri => Environment.GetEnvironmentVariable("BROKER_TEST_MANAGEMENT_URI") is { Length: > 0 } external
        ? external
        : new UriBuilder(Embedded.Value.ManagementUri!) { UserName = "guest", Password = "guest" }.Uri.ToString();

    public static string AmqpUri => Environment.GetEnvironmentVariable("BROKER_TEST_MANAGEMENT_URI") is { Length: > 0 }
        ? Environment.GetEnvironmentVariable("BROKER_TEST_URI") ?? string.Empty
        : Embedded.Value.AmqpUri.ToString();

    /// <summary>Fails the test when the embedded broker (if one runs) logged an error meanwhile.</summary>
    public static void ThrowIfBrokerErrors(string context)
    {
        if (Embedded.IsValueCreated && Embedded.Value.TakeErrors() is { Count: > 0 } errors)
        {
            throw new Broker.Testing.BrokerErrorsException(context, errors);
        }
    }

    private static Broker.Testing.EmbeddedBroker StartEmbedded()
    {
        var broker = Broker.Testing.EmbeddedBroker.StartAsync(new Broker.Testing.EmbeddedBrokerOptions { ManagementPort = 0 }).GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return broker;
    }

    public static string UniqueName(string prefix) => $"cli-test-{prefix}-{Guid.NewGuid():N}"[..40];

    /// <summary>Runs <c>broker admin</c> against the broker, as a user would (real HTTP).</summary>
    public static Task<CliResult> RunAsync(params string[] args) =>
        Admin.RunAsync(null, new Dictionary<string, string> { ["BROKER_MANAGEMENT_URL"] = Uri }, args);

    /// <summary>Runs a command that must succeed.</summary>
    public static async Task<CliResult> MustAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == ExitCodes.Ok, $"broker admin {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        return result;
    }

    /// <summary>A vhost of the test's own where the default user may do everything; deleted on dispose.</summary>
    public static async Task<TestVhost> CreateVhostAsync(string prefix)
    {
        var name = UniqueName(prefix);
        await MustAsync("add", "vhost", name);
        var user = new System.Uri(Uri).UserInfo.Split(':')[0];
        await MustAsync("set", "permissions", string.IsNullOrEmpty(user) ? "guest" : System.Uri.UnescapeDataString(user), "--vhost", name, "--configure", ".*", "--write", ".*", "--read", ".*");
        return new TestVhost(name);
    }

    /// <summary>Polls a command until its output passes the check: RabbitMQ's statistics (message counts,
    /// connections, consumers) trail the events by its collection interval, five seconds.</summary>
    public static async Task<CliResult> EventuallyAsync(Func<CliResult, bool> check, params string[] args)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await MustAsync(args);
            if (check(result) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(250);
        }
    }
}

/// <summary>A vhost made for one test, deleted with everything in it when the test ends.</summary>
internal sealed class TestVhost(string name) : IAsyncDisposable
{
    public string Name => name;

    public async ValueTask DisposeAsync()
    {
        await ManagementApi.RunAsync("delete", "vhost", name);
        ManagementApi.ThrowIfBrokerErrors($"the test using vhost {name}");
    }
}
