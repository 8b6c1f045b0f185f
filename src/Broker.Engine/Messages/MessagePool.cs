namespace Broker.Engine.Messages;

/// <summary>
/// Reuses <see cref="Message"/> objects so publishing allocates nothing in steady state.
/// One pool per broker; bounded, so a burst does not pin memory forever.
/// </summary>
public sealed class MessagePool
{
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private Message[] _items = [];
    private int _count;

    public MessagePool(int capacity = 65536)
    {
        _capacity = capacity;
    }

    /// <summary>The buffers messages keep their bytes in.</summary>
    public BufferPool Buffers { get; } = new();

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
            if (_count >= _capacity)
            {
                return;
            }

            if (_count == _items.Length)
            {
                Array.Resize(ref _items, Math.Min(_capacity, Math.Max(64, _items.Length * 2)));
            }

            _items[_count++] = message;
        }
    }
}
