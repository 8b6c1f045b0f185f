namespace Broker.Engine.Stores;

/// <summary>A place in a queue's log: a segment and a byte offset in it.</summary>
public readonly record struct LogPosition(uint Segment, uint Offset) : IComparable<LogPosition>
{
    public int CompareTo(LogPosition other) =>
        Segment != other.Segment ? Segment.CompareTo(other.Segment) : Offset.CompareTo(other.Offset);
}

/// <summary>Where one record lives, packed in a long so queue entries stay small; <see cref="None"/> when not written.</summary>
public static class RecordLocation
{
    public const long None = -1;

    public static long Pack(LogPosition position) => ((long)position.Segment << 32) | position.Offset;

    public static LogPosition Unpack(long location) => new((uint)(location >> 32), (uint)location);
}
