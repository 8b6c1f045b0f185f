using System.Text.Json.Nodes;
using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Engine.Errors;
using Broker.Engine.Limits;
using Broker.Engine.Parameters;
using Broker.Engine.Policies;
using Broker.Engine.Security;
using Broker.Engine.VirtualHosts;

namespace Broker.Storage.Definitions;

/// <summary>
/// A definitions file read and checked against the engine without changing it: every object parsed,
/// every reference resolved (against the file and the engine), every name, hash, expression and limit
/// validated. Anything wrong throws <see cref="InvalidDataException"/> naming the object.
/// <see cref="ImportDryRun"/> then checks the topology; <see cref="ApplyTo"/> makes the changes.
/// </summary>
internal sealed class ImportPlan
{
    public List<(string Name, VirtualHostMetadata? Metadata)> VirtualHosts { get; } = [];

    public List<(string Name, string Hash, List<string> Tags, string Algorithm, ResourceLimits? Limits)> Users { get; } = [];

    public List<(string User, string VirtualHost, Permissions Permissions)> Permissions { get; } = [];

    public List<TopicPermissions> TopicPermissions { get; } = [];

    public List<(string VirtualHost, ResourceLimits Limits)> VirtualHostLimits { get; } = [];

    public List<RuntimeParameter> Parameters { get; } = [];

    public List<GlobalParameter> GlobalParameters { get; } = [];

    /// <summary>Policies, and operator policies (RabbitMQ exports them as parameters of component operator_policy).</summary>
    public List<(Policy Policy, bool OperatorPolicy)> Policies { get; } = [];

    public List<(string VirtualHost, string Name, string Type, bool Durable, bool AutoDelete, bool Internal, FieldTable Arguments)> Exchanges { get; } = [];

    public List<(string VirtualHost, string Name, bool Durable, bool AutoDelete, FieldTable Arguments)> Queues { get; } = [];

    public List<(string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments)> Bindings { get; } = [];

    public List<string> Skipped { get; } = [];

    private string? _only;

    // Policies are checked as the engine's release checks them.
    private CompatibilityProfile? _compat;

    public string Ignored { get; private set; } = string.Empty;

    /// <param name="virtualHost">
    /// For a vhost's definitions (RabbitMQ's <c>POST /api/definitions/{vhost}</c>): the vhost every
    /// exchange, queue, binding and parameter goes to, whatever its "vhost" says; vhosts, users,
    /// permissions, topic permissions and global parameters are not imported, as in RabbitMQ.
    /// </param>
    public static ImportPlan Read(BrokerEngine engine, JsonObject json, string? virtualHost = null)
    {
        var plan = new ImportPlan { _compat = engine.Options.Compat };
        var virtualHosts = new HashSet<string>(engine.VirtualHosts.Select(v => v.Name), StringComparer.Ordinal);
        if (virtualHost is not null)
        {
            if (!virtualHosts.Contains(virtualHost))
            {
                throw Invalid($"vhost '{virtualHost}' does not exist: create it before importing its definitions");
            }

            plan._only = virtualHost;
            plan.ReadParameters(json, virtualHosts);
            plan.ReadPolicies(json, virtualHosts);
            plan.ReadTopology(json, virtualHosts);
            plan.ReadIgnored(json, ["users", "vhosts", "permissions", "topic_permissions", "global_parameters"]);
            return plan;
        }

        foreach (var (node, at) in Items(json, "vhosts"))
        {
            var name = Required(node, "name", at);
            var metadata = DefinitionsModel.ReadVirtualHostMetadata(node);
            if (metadata?.DefaultQueueType is { } queueType && !engine.QueueTypes.TryGet(queueType, out _))
            {
                throw Invalid($"vhost '{name}' has default_queue_type '{queueType}', which is not a queue type ({string.Join(", ", engine.QueueTypes.Types.Select(t => t.Name))})");
            }

            plan.VirtualHosts.Add((name, metadata));
            virtualHosts.Add(name);
        }

        var users = new HashSet<string>(engine.Users.Users.Select(u => u.Name), StringComparer.Ordinal);
        foreach (var (node, at) in Items(json, "users"))
        {
            var name = Required(node, "name", at);
            var (hash, algorithm) = PasswordHashOf(node, name);
            ResourceLimits? limits = null;
            if (node["limits"] is { } limitsNode)
            {
                limits = Limits(limitsNode, ResourceLimits.UserNames, "user-limits", $"user '{name}'");
            }

            plan.Users.Add((name, hash, SettingsJson.ReadTags(node["tags"]), algorithm, limits));
            users.Add(name);
        }

        foreach (var (node, at) in Items(json, "permissions"))
        {
            var user = Required(node, "user", at);
            var what = $"permissions of user '{user}'";
            var vhost = plan.KnownVirtualHost(node, at, what, virtualHosts);
            KnownUser(user, what, users);
            try
            {
                plan.Permissions.Add((user, vhost, new Permissions(Text(node, "configure"), Text(node, "write"), Text(node, "read"))));
            }
            catch (ArgumentException ex)
            {
                throw Invalid($"{what} in vhost '{vhost}': {ex.Message}");
            }
        }

        foreach (var (node, at) in Items(json, "topic_permissions"))
        {
            var user = Required(node, "user", at);
            var exchange = Required(node, "exchange", at);
            var what = $"topic permissions of user '{user}' for exchange '{exchange}'";
            var vhost = plan.KnownVirtualHost(node, at, what, virtualHosts);
            KnownUser(user, what, users);
            var (write, read) = (Text(node, "write"), Text(node, "read"));
            if (Engine.Security.TopicPermissions.Invalid(write, read) is { } invalid)
            {
                throw Invalid($"{what} in vhost '{vhost}': {invalid}");
            }

            plan.TopicPermissions.Add(new TopicPermissions(user, vhost, exchange, write, read));
        }

        plan.ReadParameters(json, virtualHosts);
        foreach (var (node, at) in Items(json, "global_parameters"))
        {
            var name = Required(node, "name", at);
            if (!node.ContainsKey("value"))
            {
                throw Invalid($"global parameter '{name}' has no \"value\"");
            }

            plan.GlobalParameters.Add(new GlobalParameter(name, SettingsJson.ValueText(node["value"])));
        }

        plan.ReadPolicies(json, virtualHosts);
        plan.ReadTopology(json, virtualHosts);
        plan.ReadIgnored(json, []);
        return plan;
    }

    private void ReadParameters(JsonObject json, HashSet<string> virtualHosts)
    {
        foreach (var (node, at) in Items(json, "parameters"))
        {
            var (component, name) = (Required(node, "component", at), Required(node, "name", at));
            var what = $"parameter {component} '{name}'";
            var vhost = KnownVirtualHost(node, at, what, virtualHosts);
            if (!node.ContainsKey("value"))
            {
                throw Invalid($"{what} in vhost '{vhost}' has no \"value\"");
            }

            if (component == RuntimeParameters.OperatorPolicyComponent)
            {
                AddPolicy(node, node["value"], vhost, operatorPolicy: true);
            }
            else if (component == RuntimeParameters.VirtualHostLimitsComponent)
            {
                if (name != "limits")
                {
                    throw Invalid($"{what} in vhost '{vhost}': vhost limits are named \"limits\"");
                }

                VirtualHostLimits.Add((vhost, Limits(node["value"], ResourceLimits.VirtualHostNames, "limits", $"vhost '{vhost}'")));
            }
            else
            {
                Parameters.Add(new RuntimeParameter(vhost, component, name, SettingsJson.ValueText(node["value"])));
            }
        }
    }

    /// <summary>"policies", validated as rabbit_policy:set does, with RabbitMQ's reason texts.</summary>
    private void ReadPolicies(JsonObject json, HashSet<string> virtualHosts)
    {
        foreach (var (node, at) in Items(json, "policies"))
        {
            var name = Required(node, "name", at);
            AddPolicy(node, node, KnownVirtualHost(node, at, $"policy '{name}'", virtualHosts), operatorPolicy: false);
        }
    }

    private void AddPolicy(JsonObject node, JsonNode? value, string virtualHost, bool operatorPolicy)
    {
        var kind = operatorPolicy ? "operator policy" : "policy";
        var name = Text(node, "name");
        var fields = value as JsonObject;
        var error = PolicyValidation.TryCreate(
            virtualHost, name, FieldTableJson.ValueFromJson(fields?["pattern"]), FieldTableJson.ValueFromJson(fields?["definition"]),
            fields?.ContainsKey("priority") == true ? FieldTableJson.ValueFromJson(fields["priority"]) : 0L,
            fields?.ContainsKey("apply-to") == true ? FieldTableJson.ValueFromJson(fields["apply-to"]) : "all",
            operatorPolicy, out var policy, _compat);
        if (error is not null)
        {
            throw Invalid($"{kind} '{name}' in vhost '{virtualHost}': {error.Trim()}");
        }

        Policies.Add((policy!, operatorPolicy));
    }

    /// <summary>
    /// Sections the import does not take, said in the log rather than silently dropped: sections
    /// RabbitMQ's definitions do not have, and for one vhost's import the broker-wide ones it leaves out.
    /// </summary>
    private void ReadIgnored(JsonObject json, string[] leftOut)
    {
        var ignored = new List<string>();
        foreach (var (key, value) in json)
        {
            if (leftOut.Contains(key))
            {
                if (value is JsonArray { Count: > 0 } items)
                {
                    ignored.Add($"{items.Count} {key} (a vhost's definitions take none)");
                }
            }
            else if (!KnownSections.Contains(key))
            {
                ignored.Add($"section \"{key}\"");
            }
        }

        Ignored = string.Join(", ", ignored);
    }

    private static readonly string[] KnownSections =
    [
        "rabbit_version", "rabbitmq_version", "product_name", "product_version", "users", "vhosts", "permissions", "topic_permissions",
        "parameters", "global_parameters", "policies", "queues", "exchanges", "bindings",
    ];

    private void ReadTopology(JsonObject json, HashSet<string> virtualHosts)
    {
        foreach (var (node, at) in Items(json, "exchanges"))
        {
            var name = Required(node, "name", at);
            var vhost = KnownVirtualHost(node, at, $"exchange '{name}'", virtualHosts);
            if (name.Length == 0 || name.StartsWith("amq.", StringComparison.Ordinal))
            {
                // As RabbitMQ's import: the default and amq.* exchanges exist in every vhost.
                Skipped.Add($"exchange '{name}' in vhost '{vhost}'");
                continue;
            }

            Exchanges.Add((vhost, name, Required(node, "type", at), Flag(node, "durable", true), Flag(node, "auto_delete", false), Flag(node, "internal", false),
                FieldTableJson.FromJson(node["arguments"])));
        }

        foreach (var (node, at) in Items(json, "queues"))
        {
            var name = Required(node, "name", at);
            var vhost = KnownVirtualHost(node, at, $"queue '{name}'", virtualHosts);
            if (name.StartsWith("amq.", StringComparison.Ordinal))
            {
                // As RabbitMQ's import ("Skipping import of a queue whose name begins with 'amq.'").
                Skipped.Add($"queue '{name}' in vhost '{vhost}'");
                continue;
            }

            Queues.Add((vhost, name, Flag(node, "durable", true), Flag(node, "auto_delete", false), FieldTableJson.FromJson(node["arguments"])));
        }

        foreach (var (node, at) in Items(json, "bindings"))
        {
            var (source, destination) = (Text(node, "source"), Required(node, "destination", at));
            var vhost = KnownVirtualHost(node, at, $"binding of '{source}' to '{destination}'", virtualHosts);
            var type = Text(node, "destination_type");
            if (type is not ("queue" or "exchange"))
            {
                throw Invalid($"binding of '{source}' to '{destination}' in vhost '{vhost}' has destination_type '{type}' (queue or exchange)");
            }

            Bindings.Add((vhost, source, destination, type == "queue", Text(node, "routing_key"), FieldTableJson.FromJson(node["arguments"])));
        }
    }

    /// <summary>
    /// Makes the changes. Vhosts, users, permissions, limits and parameters are created or overwritten;
    /// exchanges and queues are declared unless they exist; bindings are added. Everything was checked
    /// and the topology dry-run: only a client's declaration racing the import can still fail here.
    /// </summary>
    public ImportSummary ApplyTo(BrokerEngine engine)
    {
        var limits = 0;
        foreach (var (name, metadata) in VirtualHosts)
        {
            var vhost = engine.AddVirtualHost(name);
            if (metadata is not null)
            {
                Check(vhost.SetMetadata(metadata.Description, metadata.Tags, metadata.DefaultQueueType), $"metadata of vhost '{name}'");
            }
        }

        foreach (var (name, hash, tags, algorithm, userLimits) in Users)
        {
            engine.Users.Restore(name, hash, tags, algorithm);
            if (userLimits is not null)
            {
                Check(engine.Users.SetLimits(name, userLimits), $"limits of user '{name}'");
                limits++;
            }
        }

        foreach (var (user, vhost, permissions) in Permissions)
        {
            engine.Users.SetPermissions(user, vhost, permissions);
        }

        foreach (var topic in TopicPermissions)
        {
            Check(engine.Users.SetTopicPermissions(topic.User, topic.VirtualHost, topic.Exchange, topic.Write, topic.Read), $"topic permissions of user '{topic.User}'");
        }

        foreach (var (name, vhostLimits) in VirtualHostLimits)
        {
            Check(ExistingVirtualHost(engine, name).SetLimits(vhostLimits), $"limits of vhost '{name}'");
            limits++;
        }

        var kept = new List<string>();
        foreach (var parameter in Parameters)
        {
            Check(engine.Parameters.Set(parameter.VirtualHost, parameter.Component, parameter.Name, parameter.Value), $"parameter {parameter.Component} '{parameter.Name}'");
            kept.Add($"parameter {parameter.Component} '{parameter.Name}' in vhost '{parameter.VirtualHost}'");
        }

        foreach (var global in GlobalParameters)
        {
            engine.Parameters.SetGlobal(global.Name, global.Value);
            kept.Add($"global parameter '{global.Name}'");
        }

        // As RabbitMQ's import: policies before exchanges and queues, which are declared under them.
        foreach (var (policy, operatorPolicy) in Policies)
        {
            if (ExistingVirtualHost(engine, policy.VirtualHost).SetPolicy(policy, operatorPolicy) is { } error)
            {
                throw Invalid($"{(operatorPolicy ? "operator policy" : "policy")} '{policy.Name}' in vhost '{policy.VirtualHost}': {error.Trim()}");
            }
        }

        var exchanges = 0;
        foreach (var (vhostName, name, type, durable, autoDelete, @internal, arguments) in Exchanges)
        {
            var vhost = ExistingVirtualHost(engine, vhostName);
            if (!vhost.TryGetExchange(name, out _))
            {
                Check(vhost.DeclareExchange(name, type, passive: false, durable, autoDelete, @internal, arguments).Error, $"exchange '{name}' in vhost '{vhostName}'");
                exchanges++;
            }
        }

        var queues = 0;
        foreach (var (vhostName, name, durable, autoDelete, arguments) in Queues)
        {
            var vhost = ExistingVirtualHost(engine, vhostName);
            if (!vhost.TryGetQueue(name, out _))
            {
                Check(vhost.DeclareQueue(name, passive: false, durable, exclusive: false, autoDelete, arguments, connection: null).Error, $"queue '{name}' in vhost '{vhostName}'");
                queues++;
            }
        }

        foreach (var binding in Bindings)
        {
            Check(Bind(ExistingVirtualHost(engine, binding.VirtualHost), binding), Describe(binding));
        }

        return new ImportSummary
        {
            VirtualHosts = VirtualHosts.Count,
            Users = Users.Count,
            Permissions = Permissions.Count,
            TopicPermissions = TopicPermissions.Count,
            Limits = limits,
            Parameters = Parameters.Count + GlobalParameters.Count,
            Policies = Policies.Count(p => !p.OperatorPolicy),
            OperatorPolicies = Policies.Count(p => p.OperatorPolicy),
            Exchanges = exchanges,
            Queues = queues,
            Bindings = Bindings.Count,
            KeptUnused = kept,
            Skipped = Skipped,
            Ignored = Ignored,
        };
    }

    public static EngineError Bind(VirtualHost vhost, (string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments) binding) =>
        binding.ToQueue
            ? vhost.BindQueue(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments, connection: null)
            : vhost.BindExchange(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments);

    public static string Describe((string VirtualHost, string Source, string Destination, bool ToQueue, string RoutingKey, FieldTable Arguments) binding) =>
        $"binding of '{binding.Source}' to {(binding.ToQueue ? "queue" : "exchange")} '{binding.Destination}' with key '{binding.RoutingKey}' in vhost '{binding.VirtualHost}'";

    public static void Check(EngineError error, string what)
    {
        if (error.IsError)
        {
            throw Invalid($"{what}: {error.Text}");
        }
    }

    public static InvalidDataException Invalid(string text) => new($"definitions: {text}");

    private static VirtualHost ExistingVirtualHost(BrokerEngine engine, string name) =>
        engine.TryGetVirtualHost(name, out var vhost) ? vhost : throw Invalid($"vhost '{name}' was deleted while the definitions were imported");

    /// <summary>A stored hash in one of RabbitMQ's schemes, or a plain password to hash (as RabbitMQ accepts).</summary>
    private static (string Hash, string Algorithm) PasswordHashOf(JsonObject node, string user)
    {
        if (node["password"] is JsonValue password && password.TryGetValue<string>(out var plain))
        {
            return (PasswordHash.Compute(plain), PasswordHash.Sha256);
        }

        var algorithm = Text(node, "hashing_algorithm");
        if (algorithm.Length == 0)
        {
            algorithm = PasswordHash.Sha256;
        }

        if (!PasswordHash.IsSupported(algorithm))
        {
            throw Invalid($"user '{user}' has a password hashed with {algorithm}; supported: {string.Join(", ", PasswordHash.Algorithms)}; give a \"password\" instead");
        }

        return (Text(node, "password_hash"), algorithm);
    }

    private static ResourceLimits Limits(JsonNode? node, IReadOnlyList<string> allowed, string component, string what)
    {
        var limits = SettingsJson.ReadLimits(node, out var error) ?? throw Invalid($"limits of {what}: {error}");
        Check(limits.Check(allowed, component), $"limits of {what}");
        return limits;
    }

    private string KnownVirtualHost(JsonObject node, string at, string what, HashSet<string> known)
    {
        if (_only is not null)
        {
            return _only;
        }

        var name = Required(node, "vhost", at);
        return known.Contains(name) ? name : throw Invalid($"{what} is in vhost '{name}', which does not exist (list it under \"vhosts\")");
    }

    private static void KnownUser(string user, string what, HashSet<string> known)
    {
        if (!known.Contains(user))
        {
            throw Invalid($"{what}: user '{user}' does not exist (list it under \"users\")");
        }
    }

    /// <summary>The objects of one section, each with where it is ("users[2]"); a non-object entry is an error.</summary>
    private static IEnumerable<(JsonObject Node, string At)> Items(JsonObject json, string name)
    {
        switch (json[name])
        {
            case null:
                yield break;
            case JsonArray items:
                for (var i = 0; i < items.Count; i++)
                {
                    yield return (items[i] as JsonObject ?? throw Invalid($"{name}[{i}] is not an object"), $"{name}[{i}]");
                }

                break;
            default:
                throw Invalid($"\"{name}\" is not an array");
        }
    }

    private static string Text(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;

    private static string Required(JsonObject node, string name, string at) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw Invalid($"{at} has no \"{name}\" (a string)");

    private static bool Flag(JsonObject node, string name, bool absent) =>
        node[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : absent;
}
