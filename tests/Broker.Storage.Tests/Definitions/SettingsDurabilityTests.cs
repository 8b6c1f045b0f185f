using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Limits;
using Broker.Engine.Messages;
using Broker.Engine.Security;
using Broker.Engine.Stores;
using Broker.Storage.Definitions;
using Broker.Storage.Messages;
using Broker.Storage.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Definitions;

/// <summary>
/// Vhost metadata and limits, user limits and hashing algorithms, topic permissions and kept parameters
/// survive a restart: replayed from the definitions log, then read back from the snapshot it was folded into.
/// </summary>
public sealed class SettingsDurabilityTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private StorageUnderTest? _storage;
    private MessageStore? _writer;
    private DefinitionStore? _store;

    public void Dispose()
    {
        _storage?.Dispose();
        CloseStore();
        _directory.Dispose();
    }

    [Fact]
    public void EverySettingsChange_RoundTripsThroughTheLog()
    {
        var changes = new List<DefinitionChange>(DefinitionsModelSettingsTests.PopulatingChanges())
        {
            new TopicPermissionsCleared("alice", "/", "amq.topic"),
            new TopicPermissionsCleared("alice", "other", null),
            new ParameterCleared("other", "shovel", "s1"),
            new GlobalParameterCleared("cluster_name"),
            new UserLimitsSet("alice", ResourceLimits.Of([new(ResourceLimits.MaxChannels, 1)])),
            new VirtualHostMetadataSet("other", "second", [], null),
        };
        var store = OpenStore();
        var expected = new DefinitionsModel();
        foreach (var change in changes)
        {
            expected.Apply(change);
            _ = store.Persist(change);
        }

        Wait.For(store.WhenPersisted(), "the changes");
        CloseStore();

        var replayed = new DefinitionsModel();
        foreach (var line in File.ReadAllLines(_directory.Combine("definitions.log")))
        {
            replayed.Apply(DefinitionChangeJson.FromJson(JsonNode.Parse(line[9..])!.AsObject())!);
        }

        DefinitionsModelSettingsTests.AssertSameSettings(expected, replayed);
        Assert.Equal("{max-channels: 1}", replayed.UserLimits["alice"].ToString());
        Assert.Null(replayed.VirtualHostMetadata["other"].DefaultQueueType);

        // Replayed at the next open, and folded into the snapshot, which the open after reads.
        DefinitionsModelSettingsTests.AssertSameSettings(expected, OpenStore().Model);
        CloseStore();
        Assert.Equal(0, new FileInfo(_directory.Combine("definitions.log")).Length);
        DefinitionsModelSettingsTests.AssertSameSettings(expected, OpenStore().Model);
    }

    [Fact]
    public void A_log_line_of_an_older_broker_without_a_hashing_algorithm_reads_as_sha256()
    {
        var change = DefinitionChangeJson.FromJson(JsonNode.Parse("""{"op":"user.save","name":"a","password_hash":"h","tags":[]}""")!.AsObject());

        Assert.Equal(PasswordHash.Sha256, Assert.IsType<UserSaved>(change).HashingAlgorithm);
    }

    [Fact]
    public void Settings_made_through_the_engine_survive_restarts_from_the_log_and_from_the_snapshot()
    {
        var engine = Restart();
        var other = engine.AddVirtualHost("other");
        Assert.False(other.SetMetadata("orders", ["prod", "eu"], "quorum").IsError);
        Assert.False(other.SetLimit(ResourceLimits.MaxQueues, 50).IsError);
        engine.Users.Restore("strong", "AQIDBC7ycYuFch8KXPKvr7VeqRVbYxPSprRvfyRAwF7dUlG5QkPMvK8D/53FksiTH4ERz3rNdHcpAziWiUd4pn0fWTI=", ["monitoring"], PasswordHash.Sha512);
        Assert.False(engine.Users.SetLimit("strong", ResourceLimits.MaxChannels, 20).IsError);
        engine.Users.SetPermissions("strong", "other", Permissions.All);
        Assert.False(engine.Users.SetTopicPermissions("strong", "other", "amq.topic", "^orders\\.", "").IsError);
        Assert.False(engine.Users.SetTopicPermissions("guest", "/", "amq.topic", ".*", ".*").IsError);
        Assert.False(engine.Parameters.Set("other", "federation-upstream", "up", """{"uri":"amqp://elsewhere","ack-mode":"on-confirm","prefetch-count":1000,"trust-user-id":false}""").IsError);
        engine.Parameters.SetGlobal("cluster_name", "\"rabbit@here\"");
        engine.Parameters.SetGlobal("internal_cluster_id", "\"rabbitmq-cluster-id-x\"");
        Assert.True(engine.Users.ClearTopicPermissions("guest", "/"));
        var expected = EngineState.Describe(engine);
        Wait.For(engine.Definitions.WhenPersisted(), "the changes");

        var fromLog = Restart();

        Assert.Equal(expected, EngineState.Describe(fromLog));
        Assert.NotNull(fromLog.Users.Authenticate("strong", "pw512"));
        Assert.Equal(0, new FileInfo(_directory.Combine("definitions.log")).Length);

        var fromSnapshot = Restart();

        Assert.Equal(expected, EngineState.Describe(fromSnapshot));
        Assert.True(fromSnapshot.TryGetVirtualHost("other", out var restored));
        Assert.Equal("quorum", restored.Metadata.DefaultQueueType);
        Assert.Equal(50, restored.Limits.Get(ResourceLimits.MaxQueues));
        Assert.True(fromSnapshot.Parameters.TryGet("other", "federation-upstream", "up", out var upstream));
        Assert.Equal("""{"uri":"amqp://elsewhere","ack-mode":"on-confirm","prefetch-count":1000,"trust-user-id":false}""", upstream.Value);

        // Restoring records nothing.
        Wait.For(fromSnapshot.Definitions.WhenPersisted(), "pending changes");
        Assert.Equal(0, new FileInfo(_directory.Combine("definitions.log")).Length);
    }

    [Fact]
    public async Task ExportDefinitions_is_whole_while_the_engine_changes_the_definitions()
    {
        var engine = Restart();
        engine.AddVirtualHost("busy");
        using var stop = new CancellationTokenSource();
        var changer = Task.Run(() =>
        {
            for (var i = 0; i < 2_000 && !stop.IsCancellationRequested; i++)
            {
                engine.Users.SetTopicPermissions("guest", "busy", $"x{i % 50}", ".*", ".*");
                engine.Parameters.Set("busy", "shovel", $"s{i % 50}", "{}");
                engine.Users.ClearTopicPermissions("guest", "busy", $"x{(i + 25) % 50}");
            }
        });

        var exports = 0;
        while (!changer.IsCompleted)
        {
            var export = _storage!.Storage.ExportDefinitions();
            Assert.True(export["topic_permissions"]!.AsArray().Count <= 50);
            Assert.All(_storage.Storage.ExportDefinitions("busy")["parameters"]!.AsArray(), p => Assert.Equal("busy shovel", $"{p!["vhost"]} {p["component"]}"));
            exports++;
        }

        await changer;
        Assert.True(exports > 0);
        Assert.Equal(_storage!.Definitions.ToJson("test").ToJsonString(), _storage.Storage.ExportDefinitions().ToJsonString());
    }

    /// <summary>Closes the running broker's storage, if any, and opens the directory again.</summary>
    private BrokerEngine Restart()
    {
        _storage?.Dispose();
        _storage = StorageUnderTest.Open(_directory.Path, new EngineOptions());
        return _storage.Engine;
    }

    private DefinitionStore OpenStore()
    {
        CloseStore();
        _writer = new MessageStore(_directory.Path, new MessagePool(), incarnation: 1, NullLogger.Instance);
        _store = DefinitionStore.Open(_directory.Path, _writer, "test", _ => { });
        return _store;
    }

    private void CloseStore()
    {
        _writer?.Dispose();
        _store?.Dispose();
        _writer = null;
        _store = null;
    }
}
