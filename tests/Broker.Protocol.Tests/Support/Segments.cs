using System.Buffers;

namespace Broker.Protocol.Tests.Support;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe hands them to the frame reader.</summary>
internal static class Segments
{
    /// <summary>The bytes as a sequence whose segments have the given lengths (the rest goes in a last segment).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] lengths)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        var at = 0;
        foreach (var length in lengths)
        {
            pieces.Add(bytes.AsMemory(at, length));
            at += length;
        }

        pieces.Add(bytes.AsMemory(at));
        return Join(pieces);
    }

    /// <summary>The bytes split in two at <paramref name="offset"/>.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int offset) => Split(bytes, offset);

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes) =>
        Join([.. bytes.Select((_, i) => (ReadOnlyMemory<byte>)bytes.AsMemory(i, 1))]);

    public static ReadOnlySequence<byte> Join(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        // Each piece is copied into its own array so no two segments share memory by accident.
        var first = new Segment(pieces[0].ToArray(), 0);
        var last = first;
        for (var i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i].ToArray());
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
