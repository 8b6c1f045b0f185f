using System.Buffers;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Broker.DataModel.Encoding;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;

namespace Broker.Protocol.Tests.Support;

/// <summary>
/// Every generated method struct, found by reflection, with generic helpers to build, write and decode
/// them, so tests cover all methods without listing them by hand.
/// </summary>
internal static class MethodCatalog
{
    public static IReadOnlyList<Type> Types { get; } =
    [
        .. typeof(IAmqpMethod<>).Assembly.GetTypes()
            .Where(t => t.IsValueType && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAmqpMethod<>)))
            .OrderBy(GetId),
    ];

    public static Type ByName(string name) => Types.Single(t => t.Name == name);

    public static uint GetId(Type type) => (uint)GetStatic(type, "Id");

    public static ushort GetClassIndex(Type type) => (ushort)GetStatic(type, "ClassIndex");

    public static ushort GetMethodIndex(Type type) => (ushort)GetStatic(type, "MethodIndex");

    public static bool GetHasContent(Type type) => (bool)GetStatic(type, "HasContent");

    /// <summary>The arguments in wire order: the primary constructor's parameters (none for argument-less methods).</summary>
    public static ParameterInfo[] GetParameters(Type type) =>
        type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()?.GetParameters() ?? [];

    public static object Create(Type type, IReadOnlyList<object?> arguments)
    {
        var parameters = GetParameters(type);
        if (parameters.Length == 0)
        {
            Assert.Empty(arguments);
            return Activator.CreateInstance(type)!;
        }

        var constructor = type.GetConstructors().Single(c => c.GetParameters().Length == parameters.Length);
        return constructor.Invoke([.. arguments]);
    }

    public static object? GetArgument(object method, string name) => method.GetType().GetProperty(name)!.GetValue(method);

    /// <summary>A whole method frame written with <see cref="FrameWriter.WriteMethod{T}"/>.</summary>
    public static byte[] WriteFrame(object method, ushort channel) =>
        (byte[])InvokeGeneric(nameof(WriteFrameCore), method.GetType(), method, channel);

    /// <summary>Decodes a method frame payload (ids included) as the given method type.</summary>
    public static object Decode(Type type, byte[] payload) => InvokeGeneric(nameof(DecodeCore), type, payload);

    /// <summary>Decodes a payload with <see cref="MethodFrame.Decode{T}"/> of the type its id names.</summary>
    public static object DecodeById(byte[] payload)
    {
        var id = MethodFrame.ReadId(payload);
        var type = Types.FirstOrDefault(t => GetId(t) == id) ?? throw new InvalidOperationException($"no method with id {id}");
        return Decode(type, payload);
    }

    public static int GetSize(object method) => (int)method.GetType().GetMethod("GetSize")!.Invoke(method, null)!;

    /// <summary>
    /// Argument values for one test case. Variant 0 is all zero, false and empty; variant 1 is all true with
    /// large distinct values; variant 2 + k sets only the k-th bit, with distinct values elsewhere.
    /// </summary>
    public static object?[] SampleArguments(Type type, int variant)
    {
        var parameters = GetParameters(type);
        var values = new object?[parameters.Length];
        var bitIndex = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var t = parameter.ParameterType;
            var salt = (i * 37) + (variant * 11);
            values[i] = t == typeof(bool) ? variant == 1 || variant - 2 == bitIndex++
                : variant == 0 ? EmptyValue(t)
                : t == typeof(byte) ? (byte)(0x80 + salt)
                : t == typeof(ushort) ? (ushort)(0xA100 + salt)
                : t == typeof(uint) ? 0xC0000000u + (uint)salt
                : t == typeof(ulong) ? 0x8000000000000000ul + ((ulong)salt << 33) + 0x01020304ul
                : t == typeof(string) ? $"{parameter.Name}-{variant}-é€"
                : t == typeof(byte[]) ? new byte[] { 0x00, (byte)salt, 0xFF, 0xCE, 0x7F }
                : t == typeof(FieldTable) ? SampleTable(parameter.Name!, salt)
                : throw new NotSupportedException($"no sample for {t} ({type.Name}.{parameter.Name})");
        }

        return values;
    }

    /// <summary>How many bit arguments a method has (one round-trip variant each).</summary>
    public static int BitCount(Type type) => GetParameters(type).Count(p => p.ParameterType == typeof(bool));

    public static void AssertArgumentsEqual(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var parameter in GetParameters(expected.GetType()))
        {
            var name = parameter.Name!;
            var want = GetArgument(expected, name);
            var got = GetArgument(actual, name);
            var where = $"{expected.GetType().Name}.{name}";
            switch (want)
            {
                case byte[] bytes:
                    Assert.True(got is byte[] gotBytes && bytes.AsSpan().SequenceEqual(gotBytes), $"{where}: bytes differ");
                    break;
                case FieldTable table:
                    var gotTable = Assert.IsType<FieldTable>(got);
                    Assert.True(table.Equals(gotTable), $"{where}: expected {table}, got {gotTable}");
                    Assert.Equal(FieldTableCodec.Encode(table), FieldTableCodec.Encode(gotTable));
                    break;
                default:
                    Assert.True(Equals(want, got), $"{where}: expected {want}, got {got}");
                    break;
            }
        }
    }

    private static object EmptyValue(Type type) =>
        type == typeof(string) ? string.Empty
        : type == typeof(byte[]) ? Array.Empty<byte>()
        : type == typeof(FieldTable) ? new FieldTable()
        : Activator.CreateInstance(type)!;

    private static FieldTable SampleTable(string name, int salt) => new()
    {
        { name, salt },
        { "text", "value-é"u8.ToArray() },
        { "flag", true },
        { "nested", new FieldTable { { "n", (long)salt << 40 }, { "list", new List<object?> { (byte)1, "two"u8.ToArray(), null } } } },
    };

    private static byte[] WriteFrameCore<T>(T method, ushort channel)
        where T : struct, IAmqpMethod<T>
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMethod(output, channel, method);
        return output.WrittenSpan.ToArray();
    }

    private static object DecodeCore<T>(byte[] payload)
        where T : struct, IAmqpMethod<T> => MethodFrame.Decode<T>(payload);

    private static object GetStatic(Type type, string name) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static object InvokeGeneric(string name, Type type, params object[] arguments)
    {
        var method = typeof(MethodCatalog).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        try
        {
            return method.Invoke(null, arguments)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
