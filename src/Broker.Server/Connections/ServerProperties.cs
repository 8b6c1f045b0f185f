using System.Reflection;
using Broker.DataModel.Encoding;

namespace Broker.Server.Connections;

/// <summary>What connection.start tells clients about us.</summary>
public static class ServerProperties
{
    /// <summary>
    /// The RabbitMQ version whose behaviour we reproduce by default (--compat 3.13). Clients and frameworks
    /// gate features on it (NServiceBus needs 3.10 or later, Spring Boot's health check reads it), so it is
    /// RabbitMQ's number; our own version is in "broker_version".
    /// </summary>
    public const string CompatibleRabbitMqVersion = "3.13.7";

    /// <summary>What "product" says unless configured: ours, so nobody mistakes the broker for RabbitMQ.</summary>
    public const string DefaultProduct = "Broker";

    public static string BrokerVersion { get; } =
        typeof(ServerProperties).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The properties; <paramref name="version"/> is the profile's RabbitMQ version unless configured.</summary>
    public static FieldTable Create(string clusterName, string product = DefaultProduct, string version = CompatibleRabbitMqVersion) => new()
    {
        ["capabilities"] = new FieldTable
        {
            ["publisher_confirms"] = true,
            ["exchange_exchange_bindings"] = true,
            ["basic.nack"] = true,
            ["consumer_cancel_notify"] = true,
            ["connection.blocked"] = true,
            ["consumer_priorities"] = true,
            ["authentication_failure_close"] = true,
            ["per_consumer_qos"] = true,
            ["direct_reply_to"] = true,
        },
        ["cluster_name"] = clusterName,
        ["copyright"] = "Copyright (c) the Broker authors",
        ["information"] = "Broker: an AMQP 0-9-1 broker compatible with RabbitMQ. Licensed under the MIT license.",
        ["platform"] = $".NET {Environment.Version}",
        ["product"] = product,
        ["version"] = version,
        ["broker_version"] = BrokerVersion,
    };
}
