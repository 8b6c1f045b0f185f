using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Delivery;
using Broker.Engine.Queues;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Definitions;

/// <summary>A broker's definitions across restarts: defaults on a fresh directory, durable topology restored.</summary>
public sealed class DurableStorageTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestConnection _connection = new();
    private StorageUnderTest? _storage;

    private StorageUnderTest Storage => _storage ?? throw new InvalidOperationException("not started");

    private VirtualHost VHost
    {
        get
        {
            Assert.True(Storage.Engine.TryGetVirtualHost("/", out var vhost));
            return vhost;
        }
    }

    public void Dispose()
    {
        _storage?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Open_OnAnEmptyDirectory_CreatesTheDefaultUserVirtualHostAndPermissions()
    {
        Restart();
        var engine = Storage.Engine;

        Assert.True(engine.TryGetVirtualHost("/", out _));
        Assert.True(engine.Users.TryGet("guest", out var guest));
        Assert.Equal(["administrator"], guest.Tags);
        Assert.NotNull(engine.Users.Authenticate("guest", "guest"));
        var permissions = engine.Users.GetPermissions("guest", "/");
        Assert.NotNull(permissions);
        Assert.Equal((".*", ".*", ".*"), (permissions.Configure, permissions.Write, permissions.Read));

        var model = Storage.Definitions;
        Assert.Equal(["/"], model.VirtualHosts);
        Assert.Equal(["guest"], model.Users.Keys);
        Assert.Equal([("guest", "/")], model.Permissions.Keys);

        Wait.For(engine.Definitions.WhenPersisted(), "the defaults to be on disk");
        var ops = ReadLogOps();
        Assert.Equal(["vhost.add", "user.save", "permissions.set"], ops);
    }

    [Fact]
    public void Open_UsesTheConfiguredDefaults()
    {
        Restart(new EngineOptions { DefaultUser = "admin", DefaultPassword = "s3cret", DefaultVirtualHost = "main" });

        Assert.True(Storage.Engine.TryGetVirtualHost("main", out _));
        Assert.NotNull(Storage.Engine.Users.Authenticate("admin", "s3cret"));
        Assert.Equal(["main"], Storage.Definitions.VirtualHosts);

        Restart();
        Assert.True(Storage.Engine.TryGetVirtualHost("main", out _));
        Assert.False(Storage.Engine.TryGetVirtualHost("/", out _));
        Assert.NotNull(Storage.Engine.Users.Authenticate("admin", "s3cret"));
    }

    [Fact]
    public void Reopen_RestoresTheDefaultsWithoutDuplicatingThem()
    {
        Restart();
        var hash = Storage.Definitions.Users["guest"].PasswordHash;
        Restart();
        Restart();

        Assert.Equal(["/"], Storage.Definitions.VirtualHosts);
        Assert.Equal(["guest"], Storage.Definitions.Users.Keys);
        Assert.Single(Storage.Definitions.Permissions);
        Assert.Equal(hash, Storage.Definitions.Users["guest"].PasswordHash);
        Assert.Single(Storage.Engine.VirtualHosts);
        Assert.Single(Storage.Engine.Users.Users);
        Assert.NotNull(Storage.Engine.Users.Authenticate("guest", "guest"));
        Assert.NotNull(Storage.Engine.Users.GetPermissions("guest", "/"));

        // Restoring records nothing: the log stays empty and the snapshot holds each entity once.
        Wait.For(Storage.Engine.Definitions.WhenPersisted(), "pending changes");
        Assert.Empty(ReadLogOps());
        var snapshot = JsonNode.Parse(File.ReadAllBytes(_directory.Combine("definitions.json")))!.AsObject();
        Assert.Single(snapshot["vhosts"]!.AsArray());
        Assert.Single(snapshot["users"]!.AsArray());
        Assert.Single(snapshot["permissions"]!.AsArray());
    }

    [Fact]
    public void DurableTopology_IsRestoredAndTransientTopologyIsNot()
    {
        Restart();
        var vhost = VHost;
        Declare(vhost.DeclareExchange("orders", "topic", passive: false, durable: true, autoDelete: false, @internal: false, Args(("alternate-exchange", "unrouted"))).IsError);
        Declare(vhost.DeclareExchange("unrouted", "fanout", passive: false, durable: true, autoDelete: false, @internal: true, new FieldTable()).IsError);
        Declare(vhost.DeclareExchange("scratch", "direct", passive: false, durable: false, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Declare(vhost.DeclareQueue("jobs", passive: false, durable: true, exclusive: false, autoDelete: false, Args(("x-dead-letter-exchange", "unrouted")), _connection).IsError);
        Declare(vhost.DeclareQueue("temp", passive: false, durable: false, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("jobs", "orders", "order.*", new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("jobs", "amq.topic", "audit.#", new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("temp", "orders", "order.*", new FieldTable(), _connection).IsError);
        Declare(vhost.BindExchange("unrouted", "orders", "#", new FieldTable()).IsError);
        Declare(vhost.BindQueue("jobs", "scratch", "k", new FieldTable(), _connection).IsError);

        Restart();
        vhost = VHost;

        Assert.True(vhost.TryGetExchange("orders", out var orders));
        Assert.Equal(("topic", true, false, false), (orders.Type, orders.Durable, orders.AutoDelete, orders.Internal));
        Assert.Equal("unrouted", orders.AlternateExchange);
        Assert.True(vhost.TryGetExchange("unrouted", out var unrouted));
        Assert.True(unrouted.Internal);
        Assert.False(vhost.TryGetExchange("scratch", out _));
        Assert.True(vhost.TryGetQueue("jobs", out var jobs));
        Assert.True(jobs.Durable);
        Assert.Equal("unrouted", jobs.Arguments.GetString("x-dead-letter-exchange"));
        Assert.False(vhost.TryGetQueue("temp", out _));

        Assert.Equal(
            ["#->unrouted", "order.*->jobs"],
            orders.GetBindings().Select(b => $"{b.RoutingKey}->{Name(b.Destination)}").Order(StringComparer.Ordinal));
        Assert.True(vhost.TryGetExchange("amq.topic", out var amqTopic));
        Assert.Equal(["audit.#->jobs"], amqTopic.GetBindings().Select(b => $"{b.RoutingKey}->{Name(b.Destination)}"));
        Assert.Equal(3, Storage.Definitions.Bindings.Count);
    }

    [Fact]
    public void DeletedTopology_StaysDeleted()
    {
        Restart();
        var vhost = VHost;
        Declare(vhost.DeclareExchange("x", "direct", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Declare(vhost.DeclareExchange("y", "direct", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Declare(vhost.DeclareQueue("q", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Declare(vhost.DeclareQueue("r", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("q", "x", "a", new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("r", "y", "b", new FieldTable(), _connection).IsError);
        Declare(vhost.BindQueue("r", "x", "c", new FieldTable(), _connection).IsError);

        Restart();
        vhost = VHost;
        Declare(vhost.DeleteQueue("q", ifUnused: false, ifEmpty: false, _connection).IsError);
        Declare(vhost.DeleteExchange("y", ifUnused: false).IsError);
        Declare(vhost.UnbindQueue("r", "x", "c", new FieldTable(), _connection).IsError);

        Restart();
        vhost = VHost;

        Assert.False(vhost.TryGetQueue("q", out _));
        Assert.False(vhost.TryGetExchange("y", out _));
        Assert.True(vhost.TryGetQueue("r", out _));
        Assert.True(vhost.TryGetExchange("x", out var x));
        Assert.Empty(x.GetBindings());
        Assert.Empty(Storage.Definitions.Bindings);
    }

    [Fact]
    public void RestoredQueue_KeepsItsIntegerArguments()
    {
        Restart();
        var arguments = Args(("x-max-length", 3), ("x-message-ttl", 60_000));
        Declare(VHost.DeclareQueue("limited", passive: false, durable: true, exclusive: false, autoDelete: false, arguments, _connection).IsError);

        Restart();

        Assert.True(VHost.TryGetQueue("limited", out var queue));
        Assert.Equal(3, queue.Settings.MaxLength);
        Assert.Equal(60_000, queue.Settings.MessageTtl);
        var redeclared = VHost.DeclareQueue("limited", passive: false, durable: true, exclusive: false, autoDelete: false, Args(("x-max-length", 3), ("x-message-ttl", 60_000)), _connection);
        Assert.False(redeclared.IsError, redeclared.Error.Text);
    }

    [Fact]
    public void BindingWithIntegerArguments_CanBeUnboundAfterARestart()
    {
        Restart();
        Declare(VHost.DeclareExchange("x", "direct", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Declare(VHost.DeclareQueue("q", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Declare(VHost.BindQueue("q", "x", "k", Args(("x-weight", 5)), _connection).IsError);

        Restart();
        Declare(VHost.BindQueue("q", "x", "k", Args(("x-weight", 5)), _connection).IsError);
        Assert.True(VHost.TryGetExchange("x", out var x));
        Assert.Single(x.GetBindings());
        Declare(VHost.UnbindQueue("q", "x", "k", Args(("x-weight", 5)), _connection).IsError);
        Assert.Empty(x.GetBindings());

        Restart();
        Assert.True(VHost.TryGetExchange("x", out x));
        Assert.Empty(x.GetBindings());
    }

    [Fact]
    public void SecondOpenOfTheSameDirectory_FailsWhileTheFirstIsOpen()
    {
        Restart();

        Assert.Throws<IOException>(() => StorageUnderTest.Open(_directory.Path, new EngineOptions()));

        Restart();
        Assert.True(Storage.Engine.TryGetVirtualHost("/", out _));
    }

    [Fact]
    public void Dispose_CanBeCalledTwice()
    {
        Restart();
        var storage = Storage;
        storage.Dispose();
        storage.Dispose();
        _storage = null;
    }

    [Fact]
    public void Dispose_LeavesNoFileOpenInTheDataDirectory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Restart();
        Declare(VHost.DeclareQueue("q", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Assert.True(VHost.TryGetQueue("q", out var queue));
        var message = TestMessages.New(Storage.Engine.Messages, "m", 100, persistent: true);
        queue.Enqueue(message, new FlushBatch());
        message.Release();
        Restart();
        var storage = Storage;

        storage.Dispose();
        _storage = null;

        var open = Directory.GetFiles("/proc/self/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith(_directory.Path, StringComparison.Ordinal))
            .ToList();
        Assert.Empty(open);
        GC.KeepAlive(storage);
    }

    private static string Name(object destination) => destination switch
    {
        MessageQueue queue => queue.Name,
        Broker.Engine.Exchanges.Exchange exchange => exchange.Name,
        _ => "?",
    };

    private static void Declare(bool isError) => Assert.False(isError);

    private static FieldTable Args(params (string Key, object? Value)[] entries) => DefinitionsModelTests.Args(entries);

    private List<string> ReadLogOps()
    {
        using var stream = new FileStream(_directory.Combine("definitions.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line[9..])!["op"]!.GetValue<string>())];
    }

    private void Restart(EngineOptions? options = null)
    {
        _storage?.Dispose();
        _storage = null;
        _storage = StorageUnderTest.Open(_directory.Path, options ?? new EngineOptions());
    }
}
