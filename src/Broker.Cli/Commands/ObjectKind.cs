namespace Broker.Cli.Commands;

/// <summary>
/// A kind of object <c>list</c> shows: its API paths (all, and within one vhost when it lives in one)
/// and the columns of its table, chosen as rabbitmqadmin's defaults are: what identifies an object and
/// what one looks for first (a queue's depth, a connection's user).
/// </summary>
internal sealed record ObjectKind(string Name, string AllPath, string? VhostPathFormat, string[] Columns)
{
    public static readonly IReadOnlyList<ObjectKind> All =
    [
        new("queues", "queues", "queues/{0}", ["name", "type", "messages", "messages_ready", "messages_unacknowledged", "consumers"]),
        new("exchanges", "exchanges", "exchanges/{0}", ["name", "type", "durable", "auto_delete", "internal"]),
        new("bindings", "bindings", "bindings/{0}", ["source", "destination", "destination_type", "routing_key", "arguments"]),
        new("connections", "connections", "vhosts/{0}/connections", ["name", "user_provided_name", "user", "state", "channels"]),
        new("channels", "channels", "vhosts/{0}/channels", ["name", "user", "consumer_count", "messages_unacknowledged", "prefetch_count"]),
        new("consumers", "consumers", "consumers/{0}", ["queue.name", "consumer_tag", "channel_details.name", "ack_required", "prefetch_count", "exclusive"]),
        new("vhosts", "vhosts", null, ["name", "messages", "messages_ready", "messages_unacknowledged", "tracing"]),
        new("users", "users", null, ["name", "tags"]),
        new("permissions", "permissions", "vhosts/{0}/permissions", ["user", "configure", "write", "read"]),
        new("policies", "policies", "policies/{0}", ["name", "pattern", "apply-to", "priority", "definition"]),
    ];

    public bool InVhost => VhostPathFormat is not null;

    public string Singular => Name.EndsWith("ies", StringComparison.Ordinal) ? Name[..^3] + "y" : Name[..^1];

    /// <summary>The kind named by its plural or singular ("queues", "queue", "policy").</summary>
    public static ObjectKind? Find(string word) => All.FirstOrDefault(kind => kind.Name == word || kind.Singular == word);
}
