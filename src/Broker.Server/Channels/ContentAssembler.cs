using Broker.Engine.Messages;

namespace Broker.Server.Channels;

/// <summary>
/// Where a channel is in receiving a published message: method, then content header, then body
/// frames until the announced size is reached. Anything out of order is a 505 connection error with
/// RabbitMQ's texts.
/// </summary>
internal sealed class ContentAssembler
{
    private readonly byte[] _exchange = new byte[255];
    private readonly byte[] _routingKey = new byte[255];
    private int _exchangeLength;
    private int _routingKeyLength;

    public AssemblyState State { get; private set; }

    public bool Mandatory { get; private set; }

    public Message? Message { get; private set; }

    public ReadOnlySpan<byte> Exchange => _exchange.AsSpan(0, _exchangeLength);

    public ReadOnlySpan<byte> RoutingKey => _routingKey.AsSpan(0, _routingKeyLength);

    public void BeginPublish(ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey, bool mandatory)
    {
        // The method frame's bytes are gone once the read loop advances, and the header may come
        // in a later read: keep copies.
        exchange.CopyTo(_exchange);
        routingKey.CopyTo(_routingKey);
        _exchangeLength = exchange.Length;
        _routingKeyLength = routingKey.Length;
        Mandatory = mandatory;
        State = AssemblyState.ExpectingHeader;
    }

    public void BeginBody(Message message)
    {
        Message = message;
        State = AssemblyState.ExpectingBody;
    }

    /// <summary>Hands over the finished message (the caller now owns its reference).</summary>
    public Message TakeMessage()
    {
        var message = Message!;
        Message = null;
        State = AssemblyState.Idle;
        return message;
    }

    /// <summary>Drops a half-received message (channel closed or errored mid-content).</summary>
    public void Reset()
    {
        Message?.Release();
        Message = null;
        State = AssemblyState.Idle;
    }
}

internal enum AssemblyState : byte
{
    Idle,
    ExpectingHeader,
    ExpectingBody,
}
