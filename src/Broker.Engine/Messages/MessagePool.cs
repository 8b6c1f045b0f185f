namespace Broker.Engine.Messages;

/// <summary>
/// Reuses <see cref="Message"/> objects so publishing allocates nothing in steady state.
/// One pool per broker; bounded, so a burst does not pin memory forever.
/// </summary>
public sealed class MessagePool
{
    private readonly Message[] _items;
    private readonly Lock _lock = new();
    private int _count;

    public MessagePool(int capacity = 4096)
    {
        _items = new Message[capacity];
    }

    public Message Rent(ReadOnlySpan<byte> exchange, ReadOnlySpan<byte> routingKey, ReadOnlySpan<byte> properties, int bodyLength, bool persistent, byte priority)
    {
        Message? message = null;
        lock (_lock)
        {
            if (_count > 0)
            {
                message = _items[--_count];
                _items[_count] = null!;
            }
        }

        message ??= new Message();
        message.Initialize(this, exchange, routingKey, properties, bodyLength, persistent, priority);
        return message;
    }

    internal void Return(Message message)
    {
        lock (_lock)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = message;
            }
        }
    }
}
