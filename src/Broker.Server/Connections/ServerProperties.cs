using System.Reflection;
using Broker.DataModel.Encoding;

namespace Broker.Server.Connections;

/// <summary>What connection.start tells clients about us.</summary>
public static class ServerProperties
{
    /// <summary>
    /// The RabbitMQ version whose behaviour we reproduce. Clients and frameworks gate features on it
    /// (NServiceBus needs 3.10 or later, Spring Boot's health check reads it), so it is RabbitMQ's number;
    /// our own version is in "broker_version".
    /// </summary>
    public const string CompatibleRabbitMqVersion = "3.13.7";

    public static string BrokerVersion { get; } =
        typeof(ServerProperties).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static FieldTable Create(string clusterName) => new()
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
        ["product"] = "Broker",
        ["version"] = CompatibleRabbitMqVersion,
        ["broker_version"] = BrokerVersion,
    };
}
