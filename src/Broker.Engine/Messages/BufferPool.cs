using System.Buffers;
using System.Numerics;

namespace Broker.Engine.Messages;

/// <summary>
/// Message buffers by power-of-two size class, kept by the broker that uses them. The shared
/// ArrayPool keeps only a handful of arrays per size, far fewer than the messages a busy queue holds
/// at once, so it would allocate on every message of a backlog; this pool keeps up to a byte budget
/// per class. Buffers over the largest class come from the shared pool.
/// </summary>
public sealed class BufferPool
{
    private const int MinShift = 6;
    private const int MaxShift = 20;
    private readonly SizeClass[] _classes = new SizeClass[MaxShift - MinShift + 1];

    /// <param name="bytesPerClass">Most bytes of free buffers kept per size class.</param>
    public BufferPool(long bytesPerClass = 16L * 1024 * 1024)
    {
        for (var i = 0; i < _classes.Length; i++)
        {
            var size = 1 << (MinShift + i);
            _classes[i] = new SizeClass(size, (int)Math.Max(4, bytesPerClass / size));
        }
    }

    public byte[] Rent(int length)
    {
        if (length == 0)
        {
            return [];
        }

        var index = ClassOf(length);
        return index < _classes.Length ? _classes[index].Rent() : ArrayPool<byte>.Shared.Rent(length);
    }

    public void Return(byte[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        var index = ClassOf(buffer.Length);
        if (index < _classes.Length && buffer.Length == 1 << (MinShift + index))
        {
            _classes[index].Return(buffer);
        }
        else if (buffer.Length > 1 << MaxShift)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ClassOf(int length) =>
        length <= 1 << MinShift ? 0 : BitOperations.Log2((uint)length - 1) + 1 - MinShift;

    private sealed class SizeClass
    {
        private readonly Lock _lock = new();
        private readonly int _size;
        private readonly int _capacity;
        private byte[][] _free = new byte[16][];
        private int _count;

        public SizeClass(int size, int capacity)
        {
            _size = size;
            _capacity = capacity;
        }

        public byte[] Rent()
        {
            lock (_lock)
            {
                if (_count > 0)
                {
                    var buffer = _free[--_count];
                    _free[_count] = null!;
                    return buffer;
                }
            }

            return GC.AllocateUninitializedArray<byte>(_size);
        }

        public void Return(byte[] buffer)
        {
            lock (_lock)
            {
                if (_count >= _capacity)
                {
                    return;
                }

                if (_count == _free.Length)
                {
                    Array.Resize(ref _free, Math.Min(_capacity, _free.Length * 2));
                }

                _free[_count++] = buffer;
            }
        }
    }
}
