namespace Broker.DataModel.Encoding;

/// <summary>An AMQP timestamp: seconds since the Unix epoch (64 bits, as RabbitMQ sends it).</summary>
public readonly record struct AmqpTimestamp(ulong UnixSeconds)
{
    public override string ToString() => UnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
