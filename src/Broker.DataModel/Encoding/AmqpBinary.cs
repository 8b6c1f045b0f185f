namespace Broker.DataModel.Encoding;

/// <summary>A byte-array field value ('x'), distinct from a longstr ('S', decoded as <c>byte[]</c>).</summary>
public sealed class AmqpBinary : IEquatable<AmqpBinary>
{
    public AmqpBinary(byte[] bytes)
    {
        Bytes = bytes;
    }

    public byte[] Bytes { get; }

    public bool Equals(AmqpBinary? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => Equals(obj as AmqpBinary);

    public override int GetHashCode() => Bytes.Length;
}
