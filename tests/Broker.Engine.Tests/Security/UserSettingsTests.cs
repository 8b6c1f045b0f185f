using Broker.Engine.Errors;
using Broker.Engine.Limits;
using Broker.Engine.Security;
using Broker.Engine.Stores;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Security;

/// <summary>Topic permissions and user limits in the user store, and what it records in the definitions store.</summary>
public class UserSettingsTests
{
    [Fact]
    public void Topic_permissions_are_per_user_vhost_and_exchange_and_listed_in_order()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();
        var users = engine.Users;
        users.AddOrUpdate("bob", "pw", []);

        Assert.False(users.SetTopicPermissions("guest", "/", "amq.topic", "^a", "^b").IsError);
        Assert.False(users.SetTopicPermissions("bob", "/", "events", "^e", "").IsError);
        Assert.False(users.SetTopicPermissions("bob", "/", "amq.topic", "^x", "^y").IsError);
        Assert.False(users.SetTopicPermissions("bob", "other", "amq.topic", ".*", ".*").IsError);
        Assert.False(users.SetTopicPermissions("bob", "/", "amq.topic", "^x2", "^y2").IsError);

        Assert.Equal(
            ["bob / amq.topic ^x2 ^y2", "bob / events ^e ", "bob other amq.topic .* .*", "guest / amq.topic ^a ^b"],
            users.GetTopicPermissions().Select(Text));
        Assert.Equal(["bob / amq.topic ^x2 ^y2", "bob / events ^e "], users.GetTopicPermissions("bob", "/").Select(Text));
        Assert.Equal(["bob / amq.topic ^x2 ^y2", "bob / events ^e ", "guest / amq.topic ^a ^b"], users.GetTopicPermissions(virtualHost: "/").Select(Text));
    }

    [Fact]
    public void Topic_permissions_are_cleared_for_one_exchange_or_all_of_a_vhost()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var users = engine.Users;
        users.SetTopicPermissions("guest", "/", "a", ".*", ".*");
        users.SetTopicPermissions("guest", "/", "b", ".*", ".*");
        users.SetTopicPermissions("guest", "other", "a", ".*", ".*");

        Assert.True(users.ClearTopicPermissions("guest", "/", "a"));
        Assert.False(users.ClearTopicPermissions("guest", "/", "a"));
        Assert.Equal(["b", "a"], users.GetTopicPermissions("guest").Select(p => p.Exchange));

        Assert.True(users.ClearTopicPermissions("guest", "/"));
        Assert.Equal([("other", "a")], users.GetTopicPermissions("guest").Select(p => (p.VirtualHost, p.Exchange)));

        // Only the clears that removed something are recorded.
        Assert.Equal(
            [new TopicPermissionsCleared("guest", "/", "a"), new TopicPermissionsCleared("guest", "/", null)],
            store.Changes.OfType<TopicPermissionsCleared>());
    }

    [Fact]
    public void Topic_permissions_for_an_unknown_user_or_with_a_broken_expression_are_refused_and_not_recorded()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();

        var unknown = engine.Users.SetTopicPermissions("nobody", "/", "amq.topic", ".*", ".*");
        var broken = engine.Users.SetTopicPermissions("guest", "/", "amq.topic", "^(unclosed", ".*");

        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
        Assert.Equal(ErrorKind.PreconditionFailed, broken.Kind);
        Assert.Contains("write", broken.Text, StringComparison.Ordinal);
        Assert.Empty(engine.Users.GetTopicPermissions());
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void Removing_a_user_removes_its_topic_permissions_and_clearing_a_vhost_removes_those_in_it()
    {
        var users = new UserStore();
        users.AddOrUpdate("alice", "a", []);
        users.AddOrUpdate("bob", "b", []);
        users.SetTopicPermissions("alice", "/", "x", ".*", ".*");
        users.SetTopicPermissions("bob", "/", "x", ".*", ".*");
        users.SetTopicPermissions("bob", "gone", "x", ".*", ".*");
        users.SetPermissions("bob", "gone", Permissions.All);

        users.Remove("alice");
        users.ClearPermissionsOn("gone");

        Assert.Equal([("bob", "/")], users.GetTopicPermissions().Select(p => (p.User, p.VirtualHost)));
        Assert.Null(users.GetPermissions("bob", "gone"));
    }

    [Fact]
    public void User_limits_are_set_whole_or_one_by_one_and_kept_when_the_user_is_replaced()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var users = engine.Users;

        Assert.False(users.SetLimits("guest", ResourceLimits.Of([new(ResourceLimits.MaxConnections, 3)])).IsError);
        Assert.False(users.SetLimit("guest", ResourceLimits.MaxChannels, 7).IsError);
        Assert.True(users.TryGet("guest", out var guest));
        Assert.Equal("{max-channels: 7, max-connections: 3}", guest.Limits.ToString());

        users.AddOrUpdate("guest", "new password", ["administrator"]);
        Assert.True(users.TryGet("guest", out guest));
        Assert.Equal(3, guest.Limits.Get(ResourceLimits.MaxConnections));

        Assert.False(users.ClearLimit("guest", ResourceLimits.MaxConnections).IsError);
        Assert.Equal("{max-channels: 7}", guest.Limits.ToString());
        Assert.False(users.ClearLimit("guest", ResourceLimits.MaxChannels).IsError);
        Assert.True(guest.Limits.IsEmpty);

        Assert.Equal(["{max-connections: 3}", "{max-channels: 7, max-connections: 3}", "{max-channels: 7}", "{}"],
            store.Changes.OfType<UserLimitsSet>().Select(c => c.Limits.ToString()));
    }

    [Fact]
    public void User_limits_RabbitMQ_does_not_know_or_for_an_unknown_user_are_refused()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();

        var queues = engine.Users.SetLimit("guest", ResourceLimits.MaxQueues, 1);
        var nobody = engine.Users.SetLimit("nobody", ResourceLimits.MaxChannels, 1);

        // rabbitmqctl set_user_limits guest '{"max-queues":1}': "Unrecognised terms [{<<"max-queues">>,1}] in user-limits".
        Assert.Equal(ErrorKind.PreconditionFailed, queues.Kind);
        Assert.Contains("max-queues", queues.Text, StringComparison.Ordinal);
        Assert.Contains("user-limits", queues.Text, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.NotFound, nobody.Kind);
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void Every_change_of_the_user_store_is_recorded_in_order()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        var users = engine.Users;

        var alice = users.AddOrUpdate("alice", "pw", ["monitoring"]);
        users.SetPermissions("alice", "/", new Permissions("^a", "^b", "^c"));
        users.SetTopicPermissions("alice", "/", "amq.topic", "^w", "^r");
        users.SetLimit("alice", ResourceLimits.MaxChannels, 2);
        users.ClearPermissions("alice", "/");
        users.ClearPermissions("alice", "/");
        users.Remove("alice");
        users.Remove("alice");

        Assert.Equal(
            [typeof(UserSaved), typeof(PermissionsSet), typeof(TopicPermissionsSet), typeof(UserLimitsSet), typeof(PermissionsCleared), typeof(UserDeleted)],
            store.Changes.Select(c => c.GetType()));
        Assert.Equal(new UserSaved("alice", alice.PasswordHash, alice.Tags, PasswordHash.Sha256), store.Changes[0]);
        Assert.Equal(new PermissionsSet("alice", "/", "^a", "^b", "^c"), store.Changes[1]);
        Assert.Equal(new TopicPermissionsSet("alice", "/", "amq.topic", "^w", "^r"), store.Changes[2]);
        Assert.Equal("{max-channels: 2}", ((UserLimitsSet)store.Changes[3]).Limits.ToString());
        Assert.Equal(new UserDeleted("alice"), store.Changes[5]);
    }

    [Fact]
    public void A_fresh_engine_records_its_defaults_once()
    {
        var engine = new BrokerEngine(new EngineOptions());
        var store = new RecordingDefinitionStore();
        engine.Definitions = store;

        engine.CreateDefaults();

        Assert.Equal([typeof(VirtualHostAdded), typeof(UserSaved), typeof(PermissionsSet)], store.Changes.Select(c => c.GetType()));
    }

    private static string Text(TopicPermissions p) => $"{p.User} {p.VirtualHost} {p.Exchange} {p.Write} {p.Read}";
}
