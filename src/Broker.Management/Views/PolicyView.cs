using System.Text.Json.Nodes;
using Broker.Engine.Queues;

namespace Broker.Management.Views;

/// <summary>The policy fields of queues and exchanges.</summary>
public static class PolicyView
{
    public static JsonObject Effective(MessageQueue queue) => [];

    public static JsonNode? PolicyName(MessageQueue queue) => null;

    public static JsonNode? OperatorPolicyName(MessageQueue queue) => null;
}
