using Broker.DataModel.Encoding;
using Broker.Engine.Errors;

namespace Broker.Engine.Arguments;

/// <summary>
/// RabbitMQ's redeclaration checks (rabbit_misc:assert_field_equivalence and assert_args_equivalence):
/// a redeclare must match the existing entity, else 406 with "inequivalent arg" text.
/// Integer types compare as one class, as do float types.
/// </summary>
public static class ArgumentEquivalence
{
    public static EngineError CheckField(string current, string received, string key, string resource) =>
        current == received ? EngineError.None : Fail(key, resource, $"'{received}'", $"'{current}'");

    /// <summary>
    /// An exchange's type is an Erlang atom in RabbitMQ and printed as one: a type that needs quotes
    /// as an atom shows them inside the text's own ("''x-consistent-hash''").
    /// </summary>
    public static EngineError CheckType(string current, string received, string resource) =>
        current == received ? EngineError.None : Fail("type", resource, $"'{ErlangAtom(received)}'", $"'{ErlangAtom(current)}'");

    public static EngineError CheckField(bool current, bool received, string key, string resource) =>
        current == received ? EngineError.None : Fail(key, resource, received ? "'true'" : "'false'", current ? "'true'" : "'false'");

    public static EngineError CheckArguments(FieldTable current, FieldTable received, string resource, IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            var hasCurrent = current.TryGetValue(key, out var currentValue);
            var hasReceived = received.TryGetValue(key, out var receivedValue);
            if (!hasCurrent && !hasReceived)
            {
                continue;
            }

            if (hasCurrent && hasReceived && SameClass(currentValue, receivedValue) && FieldValues.AreEqual(Normalize(currentValue), Normalize(receivedValue)))
            {
                continue;
            }

            // A classic queue declared without x-queue-type is equivalent to one declared with "classic".
            if (key == "x-queue-type" && IsClassic(hasCurrent, currentValue) && IsClassic(hasReceived, receivedValue))
            {
                continue;
            }

            // rabbit_misc:assert_args_equivalence1 prints bare values when both sides have the key,
            // and type-qualified values ("none" when absent) when only one side has it.
            return hasCurrent && hasReceived
                ? Fail(key, resource, $"'{FieldValues.Format(receivedValue)}'", $"'{FieldValues.Format(currentValue)}'")
                : Fail(key, resource, Describe(hasReceived, receivedValue), Describe(hasCurrent, currentValue));
        }

        return EngineError.None;
    }

    private static string ErlangAtom(string name) =>
        name.Length > 0 && char.IsAsciiLetterLower(name[0]) && !name.AsSpan().ContainsAnyExcept(AtomChars) ? name : $"'{name}'";

    private static readonly System.Buffers.SearchValues<char> AtomChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@");

    private static bool IsClassic(bool present, object? value) => !present || FieldValues.AsString(value) == "classic";

    private static EngineError Fail(string key, string resource, string received, string current) =>
        EngineError.PreconditionFailed($"inequivalent arg '{key}' for {resource}: received {received} but current is {current}");

    private static string Describe(bool present, object? value) =>
        present ? $"the value '{FieldValues.Format(value)}' of type '{FieldValues.TypeName(value)}'" : "none";

    private static bool SameClass(object? a, object? b) => TypeClass(a) == TypeClass(b);

    private static string TypeClass(object? value) => value switch
    {
        sbyte or byte or short or ushort or int or uint or long or AmqpDecimal => "int",
        float or double => "float",
        _ => FieldValues.TypeName(value),
    };

    private static object? Normalize(object? value) => FieldValues.AsInteger(value) is { } integer ? integer : value is float f ? (double)f : value;
}
