namespace Broker.Engine.Exchanges;

public static class ExchangeTypes
{
    public const string Direct = "direct";
    public const string Fanout = "fanout";
    public const string Topic = "topic";
    public const string Headers = "headers";
    public const string ConsistentHash = "x-consistent-hash";

    /// <summary>The delayed message exchange (RabbitMQ's community plugin): another type's routing, after x-delay ms.</summary>
    public const string DelayedMessage = "x-delayed-message";

    public static bool IsKnown(string type) => type is Direct or Fanout or Topic or Headers or ConsistentHash or DelayedMessage;
}
