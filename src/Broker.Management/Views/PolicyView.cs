using System.Text.Json.Nodes;
using Broker.Engine.Queues;
using Broker.Storage.Definitions;

namespace Broker.Management.Views;

/// <summary>The policy fields of queues: the policies in force by name, and what they come to together.</summary>
public static class PolicyView
{
    public static JsonObject Effective(MessageQueue queue) => FieldTableJson.ToJson(queue.EffectivePolicyDefinition);

    public static JsonNode? PolicyName(MessageQueue queue) => queue.Policy?.Name;

    public static JsonNode? OperatorPolicyName(MessageQueue queue) => queue.OperatorPolicy?.Name;
}
