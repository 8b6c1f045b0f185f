using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Broker.Cli.Output;

/// <summary>
/// Renders one field of an API object as a table cell: <c>queue.name</c> walks into nested objects, a
/// missing field or null is empty, a list of plain values is joined with commas (a user's tags), other
/// objects and lists are compact JSON (arguments, a policy's definition).
/// </summary>
internal static class JsonCell
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(JsonElement item, string path)
    {
        var value = item;
        foreach (var name in path.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
            {
                return "";
            }
        }

        return Render(value);
    }

    public static string Render(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Printable(value.GetString()!),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array when value.EnumerateArray().All(IsScalar) => string.Join(",", value.EnumerateArray().Select(Render)),
        JsonValueKind.Object or JsonValueKind.Array => Printable(CompactJson(value)),
        _ => "",
    };

    public static string CompactJson(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool IsScalar(JsonElement value) =>
        value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    // A name may hold any character; a newline or tab in a cell would break the table's lines and columns.
    private static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var printable = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            printable.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "?",
                _ => c.ToString(),
            });
        }

        return printable.ToString();
    }
}
