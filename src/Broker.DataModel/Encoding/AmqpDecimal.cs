namespace Broker.DataModel.Encoding;

/// <summary>An AMQP decimal field value ('D'): an unsigned scale (decimal places) and a signed 32-bit value.</summary>
public readonly record struct AmqpDecimal(byte Scale, int Value)
{
    public decimal ToDecimal() => new(unchecked((int)(uint)Math.Abs((long)Value)), 0, 0, Value < 0, Scale);
}
