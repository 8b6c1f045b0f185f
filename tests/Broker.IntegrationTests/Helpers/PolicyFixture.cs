using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Testing;
using RabbitMQ.Client;

namespace Broker.IntegrationTests.Helpers;

/// <summary>
/// A broker with a fixed set of policies and operator policies in vhost "/", each matching only names
/// under this fixture's <see cref="Prefix"/>. The embedded broker gets them from a definitions file
/// (--load-definitions); an external RabbitMQ through its management API (BROKER_TEST_MANAGEMENT_URI,
/// http://guest:guest@127.0.0.1:15672/ by default), and they are deleted again when the class ends.
/// </summary>
public sealed class PolicyFixture : IAsyncLifetime
{
    private const string ManagementUriVariable = "BROKER_TEST_MANAGEMENT_URI";

    private readonly string _definitionsFile = Path.Combine(Path.GetTempPath(), $"policy-definitions-{Guid.NewGuid():N}.json");
    private TestBroker? _broker;
    private HttpClient? _management;

    /// <summary>What every name the policies match starts with, unique to this fixture.</summary>
    public string Prefix { get; } = $"pol-{Guid.NewGuid().ToString("N")[..8]}-";

    public Uri Uri => (_broker ?? throw new InvalidOperationException("not initialized")).Uri;

    /// <summary>The policies, in RabbitMQ's JSON: name, pattern, apply-to, definition, priority.</summary>
    private IEnumerable<(string Name, JsonObject Body)> Policies =>
    [
        ("limit", Policy($"^{Prefix}limit-", "queues", 1, new JsonObject
        {
            ["max-length"] = 2, ["dead-letter-exchange"] = "", ["dead-letter-routing-key"] = $"{Prefix}dead",
        })),
        ("quorum", Policy($"^{Prefix}qq-", "queues", 1, new JsonObject { ["max-length"] = 3, ["overflow"] = "drop-head" })),
        ("capped", Policy($"^{Prefix}cap-", "queues", 0, new JsonObject { ["max-length"] = 3 })),
        ("ttl", Policy($"^{Prefix}ttl-", "queues", 0, new JsonObject
        {
            ["message-ttl"] = 100, ["dead-letter-exchange"] = "", ["dead-letter-routing-key"] = $"{Prefix}expired",
        })),
        ("ae", Policy($"^{Prefix}ae-x$", "exchanges", 0, new JsonObject { ["alternate-exchange"] = $"{Prefix}ae-fallback" })),
        ("mirrored", Policy($"^{Prefix}ha-", "all", 0, new JsonObject { ["ha-mode"] = "all", ["ha-sync-mode"] = "automatic", ["max-length"] = 1 })),
    ];

    private IEnumerable<(string Name, JsonObject Body)> OperatorPolicies =>
    [
        ("cap", Policy($"^{Prefix}cap-", "queues", 0, new JsonObject { ["max-length"] = 1 })),
    ];

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(TestBroker.DefaultUriVariable) is { Length: > 0 })
        {
            _broker = await TestBroker.StartAsync();
            _management = Management();
            foreach (var (name, body) in Policies)
            {
                await PutAsync($"api/policies/%2F/{PolicyName(name)}", body);
            }

            foreach (var (name, body) in OperatorPolicies)
            {
                await PutAsync($"api/operator-policies/%2F/{PolicyName(name)}", body);
            }

            return;
        }

        await File.WriteAllTextAsync(_definitionsFile, Definitions().ToJsonString());
        _broker = await TestBroker.StartAsync(options: new EmbeddedBrokerOptions { DefinitionsFile = _definitionsFile });
    }

    public async Task DisposeAsync()
    {
        if (_management is not null)
        {
            foreach (var (name, _) in Policies)
            {
                await _management.DeleteAsync($"api/policies/%2F/{PolicyName(name)}");
            }

            foreach (var (name, _) in OperatorPolicies)
            {
                await _management.DeleteAsync($"api/operator-policies/%2F/{PolicyName(name)}");
            }

            _management.Dispose();
        }

        File.Delete(_definitionsFile);
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
            _broker.ThrowIfErrors("the end of the policy tests and the broker's stop");
        }
    }

    public void ThrowIfBrokerErrors(string context) => _broker?.ThrowIfErrors(context);

    public Task<IConnection> ConnectAsync() => new ConnectionFactory { Uri = Uri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync("policy-tests");

    private string PolicyName(string name) => Prefix + name;

    private static JsonObject Policy(string pattern, string applyTo, int priority, JsonObject definition) => new()
    {
        ["pattern"] = pattern,
        ["apply-to"] = applyTo,
        ["definition"] = definition,
        ["priority"] = priority,
    };

    /// <summary>What --load-definitions imports: the default user and vhost (a fresh import replaces them) and the policies.</summary>
    private JsonObject Definitions()
    {
        var policies = new JsonArray();
        foreach (var (name, body) in Policies)
        {
            var policy = (JsonObject)body.DeepClone();
            policy["vhost"] = "/";
            policy["name"] = PolicyName(name);
            policies.Add(policy);
        }

        var parameters = new JsonArray();
        foreach (var (name, body) in OperatorPolicies)
        {
            parameters.Add(new JsonObject { ["value"] = body.DeepClone(), ["vhost"] = "/", ["component"] = "operator_policy", ["name"] = PolicyName(name) });
        }

        return new JsonObject
        {
            ["users"] = new JsonArray(new JsonObject { ["name"] = "guest", ["password"] = "guest", ["tags"] = "administrator" }),
            ["vhosts"] = new JsonArray(new JsonObject { ["name"] = "/" }),
            ["permissions"] = new JsonArray(new JsonObject { ["user"] = "guest", ["vhost"] = "/", ["configure"] = ".*", ["write"] = ".*", ["read"] = ".*" }),
            ["policies"] = policies,
            ["parameters"] = parameters,
        };
    }

    private static HttpClient Management()
    {
        var uri = new Uri(Environment.GetEnvironmentVariable(ManagementUriVariable) is { Length: > 0 } text ? text : "http://guest:guest@127.0.0.1:15672/");
        var client = new HttpClient { BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/") };
        var credentials = Uri.UnescapeDataString(uri.UserInfo is { Length: > 0 } info ? info : "guest:guest");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }

    private async Task PutAsync(string path, JsonObject body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _management!.PutAsync(path, content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
