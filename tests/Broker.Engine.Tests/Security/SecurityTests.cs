using System.Security.Cryptography;
using Broker.Engine.Security;

namespace Broker.Engine.Tests.Security;

public class PasswordHashTests
{
    /// <summary>The worked example of RabbitMQ's "Computing a password hash" (salt 908DC60A, password test12).</summary>
    private const string RabbitMqDocsHash = "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR";

    /// <summary>base64(salt ++ sha256(salt ++ utf8(password))), computed here independently.</summary>
    private static string RabbitMqHash(byte[] salt, string password)
    {
        var digest = SHA256.HashData([.. salt, .. System.Text.Encoding.UTF8.GetBytes(password)]);
        return Convert.ToBase64String([.. salt, .. digest]);
    }

    [Theory]
    [InlineData("guest")]
    [InlineData("")]
    [InlineData("pässwörd €")]
    [InlineData("a very long password with spaces and symbols !@#$%^&*()")]
    public void A_computed_hash_verifies_its_password_only(string password)
    {
        var hash = PasswordHash.Compute(password);

        Assert.True(PasswordHash.Verify(password, hash));
        Assert.False(PasswordHash.Verify(password + "x", hash));
        Assert.False(PasswordHash.Verify(password.ToUpperInvariant() + "!", hash));
        Assert.Equal(36, Convert.FromBase64String(hash).Length);
    }

    [Fact]
    public void Each_hash_has_its_own_salt()
    {
        var hashes = Enumerable.Range(0, 20).Select(_ => PasswordHash.Compute("same")).ToList();

        Assert.True(hashes.Distinct().Count() > 1);
        Assert.All(hashes, h => Assert.True(PasswordHash.Verify("same", h)));
    }

    [Fact]
    public void The_hash_is_RabbitMQs_salted_sha256()
    {
        var hash = PasswordHash.Compute("secret");
        var salt = Convert.FromBase64String(hash)[..4];

        Assert.Equal(RabbitMqHash(salt, "secret"), hash);
    }

    [Fact]
    public void A_hash_made_by_RabbitMQ_verifies()
    {
        Assert.Equal(RabbitMqDocsHash, RabbitMqHash([0x90, 0x8D, 0xC6, 0x0A], "test12"));
        Assert.True(PasswordHash.Verify("test12", RabbitMqDocsHash));
        Assert.False(PasswordHash.Verify("test13", RabbitMqDocsHash));

        var other = RabbitMqHash([0x01, 0x02, 0x03, 0x04], "pässwörd");
        Assert.True(PasswordHash.Verify("pässwörd", other));
        Assert.False(PasswordHash.Verify("passwoerd", other));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR" + "AAAA")]
    public void Malformed_hashes_never_verify(string hash)
    {
        Assert.False(PasswordHash.Verify("test12", hash));
        Assert.False(PasswordHash.Verify("", hash));
    }
}

public class UserStoreTests
{
    [Fact]
    public void A_fresh_engine_gets_the_default_user_as_administrator_of_the_default_vhost()
    {
        var engine = BrokerEngine.InMemory();

        var guest = engine.Users.Authenticate("guest", "guest");

        Assert.NotNull(guest);
        Assert.True(guest.HasTag("administrator"));
        var permissions = engine.Users.GetPermissions("guest", "/");
        Assert.NotNull(permissions);
        Assert.Equal((".*", ".*", ".*"), (permissions.Configure, permissions.Write, permissions.Read));
        Assert.Null(engine.Users.GetPermissions("guest", "other"));
    }

    [Fact]
    public void The_default_user_vhost_and_password_come_from_the_options()
    {
        var engine = BrokerEngine.InMemory(new EngineOptions { DefaultUser = "admin", DefaultPassword = "s3cret", DefaultVirtualHost = "prod" });

        Assert.NotNull(engine.Users.Authenticate("admin", "s3cret"));
        Assert.Null(engine.Users.Authenticate("guest", "guest"));
        Assert.NotNull(engine.Users.GetPermissions("admin", "prod"));
        Assert.True(engine.TryGetVirtualHost("prod", out _));
        Assert.False(engine.TryGetVirtualHost("/", out _));
    }

    [Fact]
    public void Authenticate_checks_the_name_and_the_password()
    {
        var users = new UserStore();
        users.AddOrUpdate("alice", "wonderland", ["monitoring"]);

        Assert.Equal("alice", users.Authenticate("alice", "wonderland")?.Name);
        Assert.Null(users.Authenticate("alice", "Wonderland"));
        Assert.Null(users.Authenticate("Alice", "wonderland"));
        Assert.Null(users.Authenticate("bob", "wonderland"));
        Assert.True(users.TryGet("alice", out var alice));
        Assert.Equal(["monitoring"], alice.Tags);
        Assert.False(alice.HasTag("administrator"));
    }

    [Fact]
    public void AddOrUpdate_replaces_the_password_and_tags()
    {
        var users = new UserStore();
        users.AddOrUpdate("alice", "old", []);

        users.AddOrUpdate("alice", "new", ["administrator"]);

        Assert.Null(users.Authenticate("alice", "old"));
        Assert.NotNull(users.Authenticate("alice", "new"));
        Assert.Single(users.Users);
        Assert.True(users.Authenticate("alice", "new")!.HasTag("administrator"));
    }

    [Fact]
    public void Remove_deletes_the_user_and_its_permissions_only()
    {
        var users = new UserStore();
        users.AddOrUpdate("alice", "a", []);
        users.AddOrUpdate("bob", "b", []);
        users.SetPermissions("alice", "/", Permissions.All);
        users.SetPermissions("alice", "other", Permissions.All);
        users.SetPermissions("bob", "/", Permissions.All);

        Assert.True(users.Remove("alice"));
        Assert.False(users.Remove("alice"));

        Assert.Null(users.Authenticate("alice", "a"));
        Assert.Null(users.GetPermissions("alice", "/"));
        Assert.Null(users.GetPermissions("alice", "other"));
        Assert.NotNull(users.GetPermissions("bob", "/"));
        Assert.NotNull(users.Authenticate("bob", "b"));
    }

    [Fact]
    public void Permissions_are_per_user_and_vhost()
    {
        var users = new UserStore();
        var readOnly = new Permissions("^$", "^$", ".*");
        users.SetPermissions("alice", "/", readOnly);

        Assert.Same(readOnly, users.GetPermissions("alice", "/"));
        Assert.Null(users.GetPermissions("alice", "/other"));
        Assert.Null(users.GetPermissions("bob", "/"));

        users.SetPermissions("alice", "/", Permissions.All);
        Assert.Same(Permissions.All, users.GetPermissions("alice", "/"));
        users.ClearPermissions("alice", "/");
        Assert.Null(users.GetPermissions("alice", "/"));
    }

    [Fact]
    public void A_blank_password_never_authenticates()
    {
        var users = new UserStore();
        users.AddOrUpdate("blank", "", []);

        Assert.Null(users.Authenticate("blank", ""));
    }
}

public class PermissionsTests
{
    [Fact]
    public void Match_everything_allows_every_name()
    {
        foreach (var name in new[] { "", "q", "amq.gen-x", "any.thing/ü" })
        {
            Assert.True(Permissions.All.CanConfigure(name));
            Assert.True(Permissions.All.CanWrite(name));
            Assert.True(Permissions.All.CanRead(name));
        }
    }

    [Fact]
    public void Each_operation_uses_its_own_expression()
    {
        var permissions = new Permissions("^cfg-.*", "^out-.*", "^in-.*");

        Assert.True(permissions.CanConfigure("cfg-1"));
        Assert.False(permissions.CanConfigure("out-1"));
        Assert.True(permissions.CanWrite("out-1"));
        Assert.False(permissions.CanWrite("in-1"));
        Assert.True(permissions.CanRead("in-1"));
        Assert.False(permissions.CanRead("cfg-1"));
        Assert.Equal(("^cfg-.*", "^out-.*", "^in-.*"), (permissions.Configure, permissions.Write, permissions.Read));
    }

    [Fact]
    public void Anchored_expressions_match_as_written()
    {
        var permissions = new Permissions("^(amq\\.gen.*|amq\\.default)$", "^$", "^logs$");

        Assert.True(permissions.CanConfigure("amq.gen-abc"));
        Assert.True(permissions.CanConfigure("amq.default"));
        Assert.False(permissions.CanConfigure("amq.defaultx"));
        Assert.False(permissions.CanConfigure("my.amq.gen"));
        Assert.False(permissions.CanWrite("anything"));
        Assert.True(permissions.CanWrite(""));
        Assert.True(permissions.CanRead("logs"));
        Assert.False(permissions.CanRead("logs2"));
    }

    [Fact]
    public void An_empty_expression_denies_everything_but_the_empty_name()
    {
        var none = new Permissions("", "", "");

        Assert.False(none.CanConfigure("q"));
        Assert.False(none.CanWrite("amq.direct"));
        Assert.False(none.CanRead("q"));
        Assert.True(none.CanRead(""));
    }

    [Fact]
    public void Expressions_without_anchors_match_anywhere_in_the_name()
    {
        var permissions = new Permissions("logs", "logs", "logs");

        Assert.True(permissions.CanConfigure("app.logs"));
        Assert.True(permissions.CanWrite("my-logs-queue"));
        Assert.True(permissions.CanRead("logs"));
        Assert.False(permissions.CanRead("metrics"));
    }
}
