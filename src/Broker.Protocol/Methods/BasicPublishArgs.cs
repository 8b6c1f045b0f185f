using Broker.DataModel.Encoding;

namespace Broker.Protocol.Methods;

/// <summary>
/// basic.publish arguments as views over the frame: the per-message path reads them without
/// allocating strings (<see cref="BasicPublish"/> is the decoded form for everything else).
/// </summary>
public readonly ref struct BasicPublishArgs
{
    private BasicPublishArgs(ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey, bool mandatory, bool immediate)
    {
        Exchange = exchange;
        RoutingKey = routingKey;
        Mandatory = mandatory;
        Immediate = immediate;
    }

    public ReadOnlySpan<byte> Exchange { get; }

    public ReadOnlySpan<byte> RoutingKey { get; }

    public bool Mandatory { get; }

    public bool Immediate { get; }

    /// <param name="arguments">The method payload after the class and method ids.</param>
    public static BasicPublishArgs Read(ReadOnlySpan<byte> arguments)
    {
        var reader = new AmqpReader(arguments);
        reader.ReadShort();
        var exchange = reader.ReadShortStringBytes();
        var routingKey = reader.ReadShortStringBytes();
        var bits = reader.ReadOctet();
        return new BasicPublishArgs(exchange, routingKey, (bits & 1) != 0, (bits & 2) != 0);
    }
}
