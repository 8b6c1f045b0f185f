using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Policies;
using Broker.Engine.Queues.Stream;
using Broker.Engine.Stores;
using Broker.Engine.VirtualHosts;
using Broker.Storage.Definitions;
using Broker.Storage.Tests.Support;

namespace Broker.Storage.Tests.Definitions;

/// <summary>
/// Policies and operator policies are definitions like users and queues: recorded as they change,
/// replayed and snapshotted in RabbitMQ's export format ("policies", and "parameters" of component
/// operator_policy, as RabbitMQ 3.10.8's GET /api/definitions writes them), restored before the queues
/// and exchanges they apply to, and imported from a definitions file.
/// </summary>
public sealed class PolicyStorageTests : IDisposable
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

    private static FieldTable Args(params (string Key, object? Value)[] entries) => DefinitionsModelTests.Args(entries);

    private void Set(string name, string pattern, FieldTable definition, int priority = 0, string applyTo = "all", bool operatorPolicy = false) =>
        Assert.Null(VHost.SetPolicy(new Policy("/", name, pattern, applyTo, priority, definition), operatorPolicy));

    [Fact]
    public void Model_SetsReplacesAndClearsPoliciesApartFromOperatorPolicies()
    {
        var model = new DefinitionsModel();
        model.Apply(new VirtualHostAdded("/"));
        model.Apply(new VirtualHostAdded("other"));
        model.Apply(new PolicySet("/", "p", "^a", "queues", 1, Args(("max-length", 1L))));
        model.Apply(new PolicySet("/", "p", "^b", "all", 2, Args(("max-length", 2L))));
        model.Apply(new PolicySet("other", "p", "^c", "all", 0, Args(("max-length", 3L))));
        model.Apply(new OperatorPolicySet("/", "p", "^d", "queues", 0, Args(("expires", 4L))));

        Assert.Equal(("^b", "all", 2), (model.Policies[("/", "p")].Pattern, model.Policies[("/", "p")].ApplyTo, model.Policies[("/", "p")].Priority));
        Assert.Equal("^d", model.OperatorPolicies[("/", "p")].Pattern);

        model.Apply(new PolicyCleared("/", "p"));
        Assert.Equal([("other", "p")], model.Policies.Keys);
        Assert.Single(model.OperatorPolicies);

        model.Apply(new VirtualHostDeleted("/"));
        Assert.Empty(model.OperatorPolicies);
        model.Apply(new OperatorPolicyCleared("other", "nope"));
        Assert.Single(model.Policies);
    }

    [Fact]
    public void ToJson_WritesPoliciesAndOperatorPoliciesAsRabbitMqExportsThem()
    {
        var model = new DefinitionsModel();
        model.Apply(new VirtualHostAdded("ptv"));
        model.Apply(new PolicySet("ptv", "p1", "^[cq]1$", "queues", 1, Args(("max-length", 3L), ("message-ttl", 120000L), ("overflow", "drop-head"))));
        model.Apply(new OperatorPolicySet("ptv", "o1", "1", "queues", 0, Args(("max-length", 4L), ("message-ttl", 30000L))));

        var json = model.ToJson("3.13.7");

        // What RabbitMQ 3.10.8 exported for the same policies (GET /api/definitions), key for key.
        var expected = JsonNode.Parse("""
            {
              "parameters": [
                { "value": { "pattern": "1", "definition": { "max-length": 4, "message-ttl": 30000 }, "priority": 0, "apply-to": "queues" },
                  "vhost": "ptv", "component": "operator_policy", "name": "o1" }
              ],
              "policies": [
                { "vhost": "ptv", "name": "p1", "pattern": "^[cq]1$", "apply-to": "queues",
                  "definition": { "max-length": 3, "message-ttl": 120000, "overflow": "drop-head" }, "priority": 1 }
              ]
            }
            """)!;
        Assert.Equal(expected["parameters"]!.ToJsonString(), json["parameters"]!.ToJsonString());
        Assert.Equal(expected["policies"]!.ToJsonString(), json["policies"]!.ToJsonString());
    }

    [Fact]
    public void FromJson_ReadsRabbitMqsExportAndRoundTrips()
    {
        var export = (JsonObject)JsonNode.Parse("""
            {
              "rabbit_version": "3.10.8",
              "vhosts": [ { "name": "ptv" } ],
              "parameters": [
                { "value": [], "vhost": "ptv", "component": "vhost-limits", "name": "limits" },
                { "value": { "pattern": "a\\Z", "definition": { "expires": 1 }, "priority": 0, "apply-to": "all" },
                  "vhost": "ptv", "component": "operator_policy", "name": "x" }
              ],
              "policies": [
                { "vhost": "ptv", "name": "p1", "pattern": "^[cq]1$", "apply-to": "queues",
                  "definition": { "max-length": 3, "overflow": "drop-head", "ha-mode": "exactly", "ha-params": 2 }, "priority": 1 },
                { "vhost": "ptv", "name": "frac", "pattern": "x", "apply-to": "all", "definition": { "message-ttl": 1 }, "priority": 1.5 }
              ]
            }
            """)!;

        var model = DefinitionsModel.FromJson(export);

        var p1 = model.Policies[("ptv", "p1")];
        Assert.Equal(("^[cq]1$", "queues", 1), (p1.Pattern, p1.ApplyTo, p1.Priority));
        Assert.Equal(3L, p1.Definition["max-length"]);
        Assert.Equal("exactly", p1.Definition.GetString("ha-mode"));
        Assert.Equal(1, model.Policies[("ptv", "frac")].Priority);
        var x = Assert.Single(model.OperatorPolicies.Values);
        Assert.Equal(("x", "a\\Z", "all", 1L), (x.Name, x.Pattern, x.ApplyTo, x.Definition["expires"]));

        var again = DefinitionsModel.FromJson((JsonObject)JsonNode.Parse(model.ToJson("1.0").ToJsonString())!);
        Assert.Equal(model.Policies.Keys.Order(), again.Policies.Keys.Order());
        Assert.True(model.Policies[("ptv", "p1")].Definition.EquivalentTo(again.Policies[("ptv", "p1")].Definition));
        Assert.Equal(model.OperatorPolicies.Keys, again.OperatorPolicies.Keys);
    }

    [Fact]
    public void Policies_SurviveRestartsFromTheLogAndFromTheSnapshot()
    {
        Restart();
        Set("ttl", "^jobs$", Args(("message-ttl", 60_000L), ("dead-letter-exchange", "dlx")), priority: 2, applyTo: "queues");
        Set("ae", "^orders$", Args(("alternate-exchange", "unrouted")), applyTo: "exchanges");
        Set("gone", "^x", Args(("max-length", 1L)));
        Set("cap", "^jobs$", Args(("max-length", 100L)), operatorPolicy: true);
        Assert.True(VHost.ClearPolicy("gone", operatorPolicy: false));
        Assert.False(VHost.DeclareQueue("jobs", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Assert.False(VHost.DeclareExchange("orders", "direct", passive: false, durable: true, autoDelete: false, @internal: false, new FieldTable()).IsError);
        Wait.For(Storage.Engine.Definitions.WhenPersisted(), "the policy changes to be on disk");
        Assert.Equal(["policy.set", "policy.set", "policy.set", "operator_policy.set", "policy.clear"], ReadLogOps().Where(op => op.Contains("policy", StringComparison.Ordinal)));

        // The first restart replays the log (and folds it into the snapshot); the second reads the snapshot.
        foreach (var _ in new[] { "log", "snapshot" })
        {
            Restart();
            Assert.Equal(["ae", "ttl"], VHost.GetPolicies(operatorPolicy: false).Select(p => p.Name));
            var ttl = VHost.GetPolicy("ttl", operatorPolicy: false)!;
            Assert.Equal(("^jobs$", "queues", 2), (ttl.Pattern, ttl.ApplyTo, ttl.Priority));
            Assert.Equal("cap", Assert.Single(VHost.GetPolicies(operatorPolicy: true)).Name);

            Assert.True(VHost.TryGetQueue("jobs", out var jobs));
            Assert.Equal(("ttl", "cap"), (jobs.Policy?.Name, jobs.OperatorPolicy?.Name));
            Assert.Equal((60_000, "dlx", 100), (jobs.Settings.MessageTtl, jobs.Settings.DeadLetterExchange, jobs.Settings.MaxLength));
            Assert.True(VHost.TryGetExchange("orders", out var orders));
            Assert.Equal("unrouted", orders.AlternateExchange);
        }

        // Recovery records nothing.
        Wait.For(Storage.Engine.Definitions.WhenPersisted(), "pending changes");
        Assert.Empty(ReadLogOps());
    }

    [Fact]
    public void AClearedPolicy_StaysCleared()
    {
        Restart();
        Set("limit", "^q$", Args(("max-length", 1L)));
        Assert.False(VHost.DeclareQueue("q", passive: false, durable: true, exclusive: false, autoDelete: false, new FieldTable(), _connection).IsError);
        Restart();
        Assert.True(VHost.TryGetQueue("q", out var before));
        Assert.Equal(1, before.Settings.MaxLength);

        Assert.True(VHost.ClearPolicy("limit", operatorPolicy: false));
        Restart();

        Assert.Empty(VHost.GetPolicies(operatorPolicy: false));
        Assert.True(VHost.TryGetQueue("q", out var after));
        Assert.Null(after.Policy);
        Assert.Equal(-1, after.Settings.MaxLength);
    }

    [Fact]
    public void AStreamsPolicySegmentSize_IsTheLogsAfterARestart()
    {
        Restart();
        Assert.False(VHost.DeclareQueue("s", passive: false, durable: true, exclusive: false, autoDelete: false, Args(("x-queue-type", "stream")), _connection).IsError);
        Set("segments", "^s$", Args(("stream-max-segment-size-bytes", 10_000L), ("max-age", "1h")), applyTo: "streams");
        Assert.True(VHost.TryGetQueue("s", out var live));
        Assert.Equal(new StreamRetention(-1, 3_600_000, StreamRetention.DefaultSegmentSize), Assert.IsType<StreamQueue>(live).Retention);

        Restart();

        Assert.True(VHost.TryGetQueue("s", out var recovered));
        Assert.Equal(new StreamRetention(-1, 3_600_000, 10_000), Assert.IsType<StreamQueue>(recovered).Retention);
    }

    [Fact]
    public void Import_SetsPoliciesAndOperatorPoliciesBeforeDeclaringQueues()
    {
        Restart();
        var summary = DefinitionsImport.Apply(Storage.Engine, (JsonObject)JsonNode.Parse("""
            {
              "vhosts": [ { "name": "prod" } ],
              "policies": [
                { "vhost": "prod", "name": "limit", "pattern": "^jobs$", "apply-to": "queues", "definition": { "max-length": 10, "overflow": "reject-publish" }, "priority": 1 },
                { "vhost": "prod", "name": "defaults", "pattern": ".*", "definition": { "ha-mode": "all" } }
              ],
              "parameters": [
                { "value": { "pattern": "^jobs$", "definition": { "max-length": 5 }, "priority": 0, "apply-to": "queues" }, "vhost": "prod", "component": "operator_policy", "name": "cap" },
                { "value": { "max-connections": 10 }, "vhost": "prod", "component": "vhost-limits", "name": "limits" }
              ],
              "queues": [ { "name": "jobs", "vhost": "prod", "durable": true, "auto_delete": false, "arguments": {} } ]
            }
            """)!);

        Assert.Equal((2, 1), (summary.Policies, summary.OperatorPolicies));
        Assert.Equal(string.Empty, summary.Ignored);
        Assert.True(Storage.Engine.TryGetVirtualHost("prod", out var prod));
        Assert.Equal(10, prod.Limits.Get(Engine.Limits.ResourceLimits.MaxConnections));
        var defaults = prod.GetPolicy("defaults", operatorPolicy: false)!;
        Assert.Equal(("all", 0), (defaults.ApplyTo, defaults.Priority));
        Assert.True(prod.TryGetQueue("jobs", out var jobs));
        Assert.Equal(("limit", "cap"), (jobs.Policy?.Name, jobs.OperatorPolicy?.Name));
        Assert.Equal((5, Engine.Queues.OverflowBehaviour.RejectPublish), (jobs.Settings.MaxLength, jobs.Settings.Overflow));

        Restart();
        Assert.True(Storage.Engine.TryGetVirtualHost("prod", out prod));
        Assert.Equal(["defaults", "limit"], prod.GetPolicies(operatorPolicy: false).Select(p => p.Name));
        Assert.Equal("cap", Assert.Single(prod.GetPolicies(operatorPolicy: true)).Name);
    }

    [Fact]
    public void Import_RefusesAnInvalidPolicyWithRabbitMqsReason()
    {
        Restart();
        var json = (JsonObject)JsonNode.Parse("""
            { "policies": [ { "vhost": "/", "name": "bad", "pattern": "(", "definition": { "message-ttl": -1 } } ] }
            """)!;

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(Storage.Engine, json));

        Assert.Equal(
            "definitions: policy 'bad' in vhost '/': Validation failed\n\n-1 is not a valid message TTL\npattern should be regular expression but is invalid: {\"missing )\",1}",
            error.Message);
        Assert.Empty(VHost.GetPolicies(operatorPolicy: false));
    }

    [Fact]
    public void Import_OfAnOperatorPolicyWithAPolicyOnlyKey_IsRefused()
    {
        Restart();
        var json = (JsonObject)JsonNode.Parse("""
            { "parameters": [ { "value": { "pattern": ".*", "definition": { "dead-letter-exchange": "dlx" }, "priority": 0, "apply-to": "queues" }, "vhost": "/", "component": "operator_policy", "name": "op" } ] }
            """)!;

        var error = Assert.Throws<InvalidDataException>(() => DefinitionsImport.Apply(Storage.Engine, json));

        Assert.Equal(
            "definitions: operator policy 'op' in vhost '/': Validation failed\n\n[{<<\"dead-letter-exchange\">>,<<\"dlx\">>}] are not recognised policy settings",
            error.Message);
    }

    private List<string> ReadLogOps()
    {
        using var stream = new FileStream(_directory.Combine("definitions.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line[9..])!["op"]!.GetValue<string>())];
    }

    private void Restart()
    {
        _storage?.Dispose();
        _storage = null;
        _storage = StorageUnderTest.Open(_directory.Path, new EngineOptions());
    }
}
