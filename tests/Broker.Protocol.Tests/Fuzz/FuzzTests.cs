using System.Buffers;
using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Protocol.Tests.Support;

namespace Broker.Protocol.Tests.Fuzz;

/// <summary>
/// Random and mutated input (fixed seeds, so failures reproduce) through every decoding entry point: each
/// must succeed or throw <see cref="AmqpProtocolException"/>, never IndexOutOfRange, ArgumentOutOfRange,
/// InvalidCast, Overflow or anything else a peer could use to take a connection down the wrong way.
/// </summary>
public class FuzzTests
{
    private const int Iterations = 3000;

    public static TheoryData<string> MethodNames() => [.. MethodCatalog.Types.Select(t => t.Name)];

    /// <summary>Runs <paramref name="action"/>; true if it succeeded, false if it threw AmqpProtocolException.</summary>
    private static bool Survives(Action action, Func<string> describe)
    {
        try
        {
            action();
            return true;
        }
        catch (AmqpProtocolException)
        {
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message} for input {describe()}");
            return false;
        }
    }

    private static byte[] RandomBytes(Random random, int maxLength, string alphabet = "")
    {
        var bytes = new byte[random.Next(0, maxLength + 1)];
        random.NextBytes(bytes);
        if (alphabet.Length > 0)
        {
            // Bias towards bytes that mean something (type tags, small lengths) to get deeper than the first check.
            for (var i = 0; i < bytes.Length; i++)
            {
                var roll = random.Next(4);
                bytes[i] = roll == 0 ? (byte)alphabet[random.Next(alphabet.Length)] : roll == 1 ? (byte)random.Next(0, 8) : bytes[i];
            }
        }

        return bytes;
    }

    /// <summary>Flips, deletes, inserts or overwrites a few bytes of a valid encoding.</summary>
    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = new List<byte>(valid);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes[at] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x00;
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes.RemoveRange(at, bytes.Count - at);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Random_and_mutated_payloads_decode_or_throw_AmqpProtocolException(string typeName)
    {
        var type = MethodCatalog.ByName(typeName);
        var id = MethodCatalog.GetId(type);
        var random = new Random((int)id);
        var valid = Frames.ReadSingle(MethodCatalog.WriteFrame(MethodCatalog.Create(type, MethodCatalog.SampleArguments(type, 1)), 1)).Payload;
        byte[] idBytes = [(byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id];

        for (var i = 0; i < Iterations; i++)
        {
            byte[] payload = [.. idBytes, .. i % 2 == 0 ? RandomBytes(random, 80, "SFAItVx") : Mutate(random, valid[4..])];

            Survives(() => MethodCatalog.Decode(type, payload), () => Convert.ToHexString(payload));
        }
    }

    [Fact]
    public void Random_bytes_through_the_frame_reader_and_method_decoding()
    {
        var random = new Random(42);
        var valid = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(valid, 1, new QueueDeclare(0, "q", false, true, false, false, false, new FieldTable { { "x-max-length", 10 } }));
        ContentFrames.WriteContent(valid, 1, new BasicProperties { ContentType = "t", Headers = new FieldTable { { "h", 1 } } }.Encode(), "body"u8, 4096);
        FrameWriter.WriteHeartbeat(valid);
        var validBytes = valid.WrittenSpan.ToArray();
        var decoded = 0;

        for (var i = 0; i < Iterations * 2; i++)
        {
            byte[] input;
            switch (i % 3)
            {
                case 0:
                    input = RandomBytes(random, 64);
                    break;
                case 1:
                    // A plausible header (known type, small size) in front of random payload bytes.
                    var payload = RandomBytes(random, 48, "SFAItVx");
                    input = Frames.Build((byte)(new[] { 1, 2, 3, 8 }[random.Next(4)]), (ushort)random.Next(3), payload, random.Next(8) == 0 ? (byte)random.Next(256) : FrameConstants.FrameEnd);
                    if (input[0] == 1 && payload.Length >= 4 && random.Next(2) == 0)
                    {
                        // Make the method id a known one.
                        var id = MethodCatalog.GetId(MethodCatalog.Types[random.Next(MethodCatalog.Types.Count)]);
                        input[7] = (byte)(id >> 24);
                        input[8] = (byte)(id >> 16);
                        input[9] = (byte)(id >> 8);
                        input[10] = (byte)id;
                    }

                    break;
                default:
                    input = Mutate(random, validBytes);
                    break;
            }

            var sequence = random.Next(2) == 0 ? new ReadOnlySequence<byte>(input) : Segments.SplitAt(input, random.Next(input.Length + 1));
            Survives(
                () =>
                {
                    var buffer = sequence;
                    while (FrameReader.TryReadFrame(ref buffer, 4096, out var frame))
                    {
                        var payload = frame.Payload.ToArray();
                        switch (frame.Type)
                        {
                            case FrameType.Method:
                                if (MethodIds.IsKnown(MethodFrame.ReadId(payload)))
                                {
                                    MethodCatalog.DecodeById(payload);
                                    decoded++;
                                }

                                break;
                            case FrameType.Header:
                                var header = ContentHeader.Parse(payload);
                                MessageProperties.Parse(header.Properties);
                                BasicProperties.Read(header.Properties);
                                break;
                        }
                    }
                },
                () => Convert.ToHexString(input));
        }

        Assert.True(decoded > 100, $"only {decoded} method frames decoded: the fuzz input is too shallow");
    }


    private static IEnumerable<byte[]> RandomTableBodies(int seed)
    {
        var random = new Random(seed);
        var valid = FieldTableCodec.Encode(new FieldTable
        {
            { "a", 1 }, { "nested", new FieldTable { { "l", new List<object?> { 1L, "s"u8.ToArray(), null } } } },
            { "d", new AmqpDecimal(1, 5) }, { "x", new AmqpBinary([1]) }, { "T", new AmqpTimestamp(9) },
        })[4..];
        for (var i = 0; i < Iterations * 3; i++)
        {
            yield return i % 2 == 0 ? RandomBytes(random, 40, "tbBsuIilfdDSATFVx") : Mutate(random, valid);
        }
    }

    private static IEnumerable<byte[]> RandomPropertyLists(int seed)
    {
        var random = new Random(seed);
        var valid = new BasicProperties
        {
            ContentType = "a",
            Headers = new FieldTable { { "h", "v"u8.ToArray() } },
            DeliveryMode = 2,
            ReplyTo = "r",
            Expiration = "5",
            Timestamp = new AmqpTimestamp(1),
            UserId = "u",
            ClusterId = "c",
        }.Encode();
        for (var i = 0; i < Iterations * 2; i++)
        {
            yield return i % 2 == 0 ? RandomBytes(random, 40, "SIF") : Mutate(random, valid);
        }
    }

    [Fact]
    public void Random_field_table_bodies_decode_or_throw_AmqpProtocolException_from_every_entry_point()
    {
        var accepted = 0;
        foreach (var body in RandomTableBodies(7))
        {
            string Describe() => Convert.ToHexString(body);
            FieldTable? table = null;
            Survives(() => FieldTableCodec.ValidateTableBody(body), Describe);
            Survives(() => FieldTableCodec.ContainsKey(body, "zz-absent"u8), Describe);
            if (Survives(() => table = FieldTableCodec.DecodeTableBody(body), Describe))
            {
                accepted++;
                var again = FieldTableCodec.DecodeTableBody(FieldTableCodec.Encode(table)[4..]);
                Assert.True(table!.Equals(again), $"{table} re-encoded as {again}");
            }
        }

        Assert.True(accepted > 100, $"only {accepted} tables were well formed: the fuzz input is too shallow");
    }

    [Fact]
    public void Random_field_table_bodies_are_accepted_by_every_entry_point_or_by_none()
    {
        foreach (var body in RandomTableBodies(7))
        {
            string Describe() => Convert.ToHexString(body);
            var decodes = Survives(() => FieldTableCodec.DecodeTableBody(body), Describe);
            var validates = Survives(() => FieldTableCodec.ValidateTableBody(body), Describe);
            var searches = Survives(() => FieldTableCodec.ContainsKey(body, "zz-absent"u8), Describe);

            Assert.True(decodes == validates && validates == searches, $"decode {decodes}, validate {validates}, contains-key {searches} for {Describe()}");
        }
    }

    [Fact]
    public void A_table_key_that_is_not_utf8_is_refused_by_the_validators_too()
    {
        byte[] body = [0x01, 0xFF, (byte)'I', 0x00, 0x00, 0x00, 0x01];
        byte[] properties = [0x20, 0x00, 0x00, 0x00, 0x00, 0x07, .. body];

        Assert.Throws<AmqpProtocolException>(() => FieldTableCodec.DecodeTableBody(body));
        Assert.Throws<AmqpProtocolException>(() => BasicProperties.Read(properties));
        Assert.Throws<AmqpProtocolException>(() => FieldTableCodec.ValidateTableBody(body));
        Assert.Throws<AmqpProtocolException>(() => FieldTableCodec.ContainsKey(body, "k"u8));
        Assert.Throws<AmqpProtocolException>(() => MessageProperties.Parse(properties));
    }

    [Fact]
    public void A_property_shortstr_that_is_not_utf8_is_refused_by_MessageProperties_too()
    {
        byte[] properties = [0x80, 0x00, 0x02, 0xC3, 0x28]; // content-type with an invalid two-byte sequence

        Assert.Throws<AmqpProtocolException>(() => BasicProperties.Read(properties));
        Assert.Throws<AmqpProtocolException>(() => MessageProperties.Parse(properties));
    }

    [Fact]
    public void Random_property_lists_parse_or_throw_AmqpProtocolException()
    {
        foreach (var encoded in RandomPropertyLists(11))
        {
            string Describe() => Convert.ToHexString(encoded);
            BasicProperties? full = null;
            byte mode = 0;
            var read = Survives(() => full = BasicProperties.Read(encoded), Describe);
            var parsed = Survives(() => mode = MessageProperties.Parse(encoded).DeliveryMode, Describe);

            // What the full decoder accepts, the one-pass parser accepts and reads the same way.
            if (read)
            {
                Assert.True(parsed, $"Read accepted, Parse refused {Describe()}");
                Assert.Equal(full!.DeliveryMode ?? 0, mode);
            }
        }
    }

    [Fact]
    public void Random_property_lists_are_accepted_by_both_parsers_or_by_neither()
    {
        foreach (var encoded in RandomPropertyLists(11))
        {
            string Describe() => Convert.ToHexString(encoded);
            var read = Survives(() => BasicProperties.Read(encoded), Describe);
            var parsed = Survives(() => MessageProperties.Parse(encoded), Describe);

            Assert.True(read == parsed, $"Read {read}, Parse {parsed} for {Describe()}");
        }
    }

    [Fact]
    public void Random_content_headers_and_publish_arguments_parse_or_throw()
    {
        var random = new Random(13);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = RandomBytes(random, 30);
            Survives(() => ContentHeader.Parse(bytes), () => Convert.ToHexString(bytes));
            Survives(() => BasicPublishArgs.Read(bytes), () => Convert.ToHexString(bytes));
        }
    }
}
