namespace Broker.Server.Tests;

/// <summary>
/// Fixed-seed random frame sequences after a good handshake: whatever arrives, the conversation ends
/// in a close frame (the broker's connection.close, or close-ok to the client's), never a transport
/// dropped without one, an exception out of the read loop or an error in the log.
/// </summary>
public sealed class RandomFrameTests
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 1000).Select(seed => new object[] { seed });

    // Methods a client may send, so random arguments reach deep into the handlers.
    private static readonly (ushort Class, ushort Method)[] Methods =
    [
        (20, 10), (20, 20), (20, 40), (20, 41), (40, 10), (40, 20), (40, 30), (40, 40), (50, 10), (50, 20), (50, 30),
        (50, 40), (50, 50), (60, 10), (60, 20), (60, 30), (60, 40), (60, 70), (60, 80), (60, 90), (60, 100), (60, 110),
        (60, 120), (85, 10), (90, 10), (90, 20), (90, 30), (10, 50), (10, 51), (10, 70), (60, 60), (99, 1),
    ];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task A_random_sequence_ends_in_a_close_frame(int seed)
    {
        await using var server = new ServerHarness();
        var conversation = await server.ConnectAsync(new RawConnectOptions { FrameMax = 4096 });
        var client = conversation.Client;
        await client.OpenChannelAsync(1);
        var random = new Random(seed);

        var count = random.Next(1, 24);
        var sent = new List<string>();
        for (var i = 0; i < count && !conversation.Run.IsCompleted; i++)
        {
            var (type, channel, payload, end) = NextFrame(random);
            sent.Add($"type {type} channel {channel} end {end:X2} payload {Convert.ToHexString(payload)}");
            await client.SendFrameAsync(type, channel, payload, end);
        }

        var replies = new List<string>();

        await client.SendMethodAsync(0, 10, 50, w => w.Short(200).ShortString("bye").Short(0).Short(0));

        var sawClose = false;
        string Describe() => $"\nsent:\n{string.Join("\n", sent)}\nreplies:\n{string.Join("\n", replies)}\nlog:\n{string.Join("\n", server.Logs.Entries.Select(e => $"{e.Level} {e.Message}"))}";
        while (await ReadOrTickAsync(server, client, () => $"seed {seed}: the broker neither closed nor answered the close" + Describe()) is { } frame)
        {
            replies.Add(frame.ToString());
            if (frame.Channel == 0 && frame.IsMethod(10, 50))
            {
                sawClose = true;
                await client.SendMethodAsync(0, 10, 51);
            }
            else if (frame.Channel == 0 && frame.IsMethod(10, 51))
            {
                sawClose = true;
            }
        }

        Assert.True(sawClose, $"seed {seed}: the transport closed without connection.close or close-ok" + Describe());
        await conversation.Run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(conversation.Run.IsCompletedSuccessfully, $"seed {seed}: the read loop ended with {conversation.Run.Exception}");
    }

    /// <summary>
    /// The next frame. When none comes, the broker may be waiting for a close-ok lost in input it could
    /// no longer frame: move its clock past the close timeout, as the server's timer would.
    /// </summary>
    private static async Task<RawFrame?> ReadOrTickAsync(ServerHarness server, RawAmqpConnection client, Func<string> describe)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return await client.ReadFrameAsync(TimeSpan.FromMilliseconds(500));
            }
            catch (OperationCanceledException)
            {
                server.Tick(server.Options.CloseTimeout + TimeSpan.FromSeconds(1));
            }
        }

        Assert.Fail(describe());
        return null;
    }

    private static (byte Type, ushort Channel, byte[] Payload, byte End) NextFrame(Random random)
    {
        var channel = random.Next(10) switch
        {
            < 6 => (ushort)1,
            < 8 => (ushort)0,
            8 => (ushort)2,
            _ => (ushort)random.Next(ushort.MaxValue + 1),
        };
        var end = random.Next(50) == 0 ? (byte)random.Next(256) : RawWriter.FrameEnd;
        switch (random.Next(10))
        {
            case < 5:
                var (classId, methodId) = Methods[random.Next(Methods.Length)];
                var method = new RawWriter().Short(classId).Short(methodId);
                return (RawFrame.MethodType, channel, method.Bytes(RandomBytes(random, 40)).ToArray(), end);
            case < 7:
                var header = new RawWriter().Short(random.Next(4) == 0 ? (ushort)random.Next(100) : (ushort)60).Short(0)
                    .LongLong((ulong)random.Next(64)).Bytes(RandomBytes(random, 16));
                return (RawFrame.HeaderType, channel, header.ToArray(), end);
            case < 9:
                return (RawFrame.BodyType, channel, RandomBytes(random, 64), end);
            default:
                return (random.Next(2) == 0 ? RawFrame.HeartbeatType : (byte)random.Next(256), channel, RandomBytes(random, 8), end);
        }
    }

    private static byte[] RandomBytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(maxLength + 1)];
        random.NextBytes(bytes);
        return bytes;
    }
}
