using System.Text.Json.Nodes;
using Broker.Engine.Queues;
using Broker.Management.Metrics;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>A queue as RabbitMQ's /api/queues writes it (the fields that mean something on one node).</summary>
public static class QueueView
{
    public static JsonObject Build(MessageQueue queue, RateSampler sampler, string node)
    {
        var details = queue.GetDetails();
        var counts = details.Counts;
        var stats = MessageCounters.FromQueue(queue.Stats);
        var json = new JsonObject
        {
            ["arguments"] = FieldTableJson.ToJson(queue.Arguments),
            ["auto_delete"] = queue.AutoDelete,
            ["consumer_capacity"] = counts.Consumers > 0 ? 1.0 : 0.0,
            ["consumer_utilisation"] = counts.Consumers > 0 ? 1.0 : 0.0,
            ["consumers"] = counts.Consumers,
            ["durable"] = queue.Durable,
            ["effective_policy_definition"] = PolicyView.Effective(queue),
            ["exclusive"] = queue.Exclusive,
            ["exclusive_consumer_tag"] = null,
            ["head_message_timestamp"] = null,
            ["memory"] = 1024 + details.InMemoryBytes,
            ["message_bytes"] = details.ReadyBytes,
            ["message_bytes_paged_out"] = Math.Max(0, details.ReadyBytes - details.InMemoryBytes),
            ["message_bytes_persistent"] = queue.Durable ? details.ReadyBytes : 0,
            ["message_bytes_ram"] = details.InMemoryBytes,
            ["message_bytes_ready"] = details.ReadyBytes,
            ["message_bytes_unacknowledged"] = 0,
            ["message_stats"] = stats.ToJson(sampler.QueueRates(queue), publishSide: false),
            ["messages"] = counts.Messages + counts.Unacked,
            ["messages_details"] = Rate(0),
            ["messages_paged_out"] = Math.Max(0, counts.Messages - details.InMemoryCount),
            ["messages_persistent"] = queue.Durable ? counts.Messages + counts.Unacked : 0,
            ["messages_ram"] = details.InMemoryCount + counts.Unacked,
            ["messages_ready"] = counts.Messages,
            ["messages_ready_details"] = Rate(0),
            ["messages_ready_ram"] = details.InMemoryCount,
            ["messages_unacknowledged"] = counts.Unacked,
            ["messages_unacknowledged_details"] = Rate(0),
            ["messages_unacknowledged_ram"] = counts.Unacked,
            ["name"] = queue.Name,
            ["node"] = node,
            ["operator_policy"] = PolicyView.OperatorPolicyName(queue),
            ["policy"] = PolicyView.PolicyName(queue),
            ["recoverable_slaves"] = null,
            ["state"] = "running",
            ["type"] = queue.Type.Name,
            ["vhost"] = queue.VirtualHost.Name,
        };
        if (queue.Exclusive && queue.ExclusiveOwner is { } owner)
        {
            json["owner_pid_details"] = new JsonObject { ["name"] = owner.Name, ["peer_host"] = owner.Name, ["peer_port"] = 0 };
        }

        if (queue.Settings.SingleActiveConsumer)
        {
            json["single_active_consumer_tag"] = null;
        }

        return json;
    }

    public static JsonObject Rate(double rate) => new() { ["rate"] = rate };
}
