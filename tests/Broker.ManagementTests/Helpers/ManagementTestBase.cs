using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Broker.ManagementTests.Helpers;

/// <summary>
/// Per-test setup and teardown: an administrator's API client, unique names, and deletion of every
/// vhost, user and connection the test made, so the suite can run against a shared RabbitMQ.
/// </summary>
public abstract class ManagementTestBase(ManagementFixture fixture) : IAsyncLifetime
{
    private readonly List<string> _virtualHosts = [];
    private readonly List<string> _users = [];
    private readonly List<(string VirtualHost, string Queue)> _queues = [];
    private readonly List<IConnection> _connections = [];
    private readonly List<ManagementClient> _clients = [];

    protected ManagementFixture Fixture { get; } = fixture;

    /// <summary>The management API as the administrator.</summary>
    protected ManagementClient Admin { get; } = fixture.AdminClient();

    protected static string Path(params string[] segments) => ManagementClient.Path(segments);

    /// <summary>A name no other test (or run) uses.</summary>
    protected static string UniqueName(string prefix) => $"mgmt-{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 21)];

    /// <summary>Creates a vhost (deleted when the test ends) where the administrator has full permissions.</summary>
    protected async Task<string> CreateVirtualHostAsync(string prefix = "vh")
    {
        var name = UniqueName(prefix);
        TrackVirtualHost(name);
        (await Admin.PutAsync(Path("vhosts", name))).AssertStatus(201);
        await GrantAsync(name, Fixture.AdminUser);
        return name;
    }

    protected void TrackVirtualHost(string name)
    {
        lock (_virtualHosts)
        {
            _virtualHosts.Add(name);
        }
    }

    protected void TrackUser(string name)
    {
        lock (_users)
        {
            _users.Add(name);
        }
    }

    /// <summary>A queue outside the test's vhosts (e.g. in "/"), deleted when the test ends.</summary>
    protected void TrackQueue(string virtualHost, string queue)
    {
        lock (_queues)
        {
            _queues.Add((virtualHost, queue));
        }
    }

    /// <summary>Creates a user with a password and tags (deleted when the test ends).</summary>
    protected async Task<string> CreateUserAsync(string tags, string password = "secret", string prefix = "user")
    {
        var name = UniqueName(prefix);
        TrackUser(name);
        (await Admin.PutAsync(Path("users", name), new JsonObject { ["password"] = password, ["tags"] = tags })).AssertStatus(201);
        return name;
    }

    /// <summary>Gives a user full permissions (or the given ones) on a vhost.</summary>
    protected async Task GrantAsync(string virtualHost, string user, string configure = ".*", string write = ".*", string read = ".*")
    {
        var response = await Admin.PutAsync(Path("permissions", virtualHost, user), new JsonObject { ["configure"] = configure, ["write"] = write, ["read"] = read });
        Assert.True(response.Status is 201 or 204, $"PUT permissions: {response.Status} {response.Body}");
    }

    /// <summary>Declares a queue over the API (201).</summary>
    protected async Task DeclareQueueAsync(string virtualHost, string queue, string body = "{}") =>
        (await Admin.PutAsync(Path("queues", virtualHost, queue), body)).AssertStatus(201);

    /// <summary>Declares an exchange over the API (201).</summary>
    protected async Task DeclareExchangeAsync(string virtualHost, string exchange, string type) =>
        (await Admin.PutAsync(Path("exchanges", virtualHost, exchange), new JsonObject { ["type"] = type })).AssertStatus(201);

    /// <summary>Sets a policy (or an operator policy) over the API: 201 when new, 204 when changed.</summary>
    protected async Task SetPolicyAsync(string virtualHost, string name, string pattern, JsonObject definition, string applyTo = "all", int priority = 0, bool operatorPolicy = false)
    {
        var response = await Admin.PutAsync(
            Path(operatorPolicy ? "operator-policies" : "policies", virtualHost, name),
            new JsonObject { ["pattern"] = pattern, ["definition"] = definition, ["apply-to"] = applyTo, ["priority"] = priority });
        Assert.True(response.Status is 201 or 204, $"PUT policy {name}: {response.Status} {response.Body}");
    }

    /// <summary>A user with these tags (deleted when the test ends), its API client, and full permissions on the vhosts given.</summary>
    protected async Task<(string Name, ManagementClient Client)> UserClientAsync(string tags, params string[] virtualHosts)
    {
        var user = await CreateUserAsync(tags);
        foreach (var virtualHost in virtualHosts)
        {
            await GrantAsync(virtualHost, user);
        }

        var client = Fixture.Client(user, "secret");
        lock (_clients)
        {
            _clients.Add(client);
        }

        return (user, client);
    }

    /// <summary>An AMQP connection (closed when the test ends) as the AMQP URI's user or another.</summary>
    protected async Task<IConnection> ConnectAsync(string virtualHost = "/", string? clientName = null, string? user = null, string? password = null)
    {
        var connection = await Fixture.Factory(virtualHost, user, password).CreateConnectionAsync(clientName ?? GetType().Name);
        lock (_connections)
        {
            _connections.Add(connection);
        }

        return connection;
    }

    /// <summary>Publishes bodies to a queue through the default exchange on a confirm channel, waiting for each confirm.</summary>
    protected static async Task PublishAsync(IConnection connection, string queue, params string[] bodies)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var body in bodies)
        {
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: false, new BasicProperties(), System.Text.Encoding.UTF8.GetBytes(body));
        }
    }

    /// <summary>Publishes over the API through the default exchange; must be routed.</summary>
    protected async Task PublishOverApiAsync(string virtualHost, string queue, string payload, JsonObject? properties = null, string encoding = "string")
    {
        var response = await Admin.PostAsync(Path("exchanges", virtualHost, "amq.default", "publish"), new JsonObject
        {
            ["routing_key"] = queue,
            ["properties"] = properties ?? [],
            ["payload"] = payload,
            ["payload_encoding"] = encoding,
        });
        Assert.Equal(true, response.AssertStatus(200).Json["routed"]?.GetValue<bool>());
    }

    /// <summary>
    /// Polls a GET until the answer satisfies the condition: RabbitMQ's statistics (counts, rates,
    /// channels of a connection) lag by up to its 5 s collection interval.
    /// </summary>
    protected async Task<JsonNode> EventuallyAsync(string path, Func<JsonNode, bool> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var json = await Admin.GetJsonAsync(path);
            if (condition(json))
            {
                return json;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"condition not met in time: {because}; last answer to GET {path}: {json.ToJsonString()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Polls any condition (default 20 s).</summary>
    protected static async Task EventuallyAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"condition not met in time: {because}");
            }

            await Task.Delay(200);
        }
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            try
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or OperationCanceledException or TimeoutException or IOException)
            {
                // closed by the test (or by the broker, as the test wanted)
            }

            connection.Dispose();
        }

        foreach (var (virtualHost, queue) in _queues)
        {
            await Admin.DeleteAsync(Path("queues", virtualHost, queue));
        }

        foreach (var virtualHost in _virtualHosts)
        {
            await Admin.DeleteAsync(Path("vhosts", virtualHost));
        }

        foreach (var user in _users)
        {
            await Admin.DeleteAsync(Path("users", user));
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        Admin.Dispose();
        Fixture.ThrowIfBrokerErrors(GetType().Name);
    }
}

/// <summary>AMQP helpers the management tests share.</summary>
public static class Amqp
{
    /// <summary>Completes with the connection's close reason, whether it closed already or closes later (10 s at most).</summary>
    public static async Task<ShutdownEventArgs> WaitForCloseAsync(this IConnection connection)
    {
        var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        AsyncEventHandler<ShutdownEventArgs> handler = (_, args) =>
        {
            closed.TrySetResult(args);
            return Task.CompletedTask;
        };
        connection.ConnectionShutdownAsync += handler;
        try
        {
            return connection.CloseReason ?? await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            connection.ConnectionShutdownAsync -= handler;
        }
    }
}
