using System.Text.Json;

namespace Broker.Cli.Output;

/// <summary>
/// Writes items as one JSON array as they arrive, page after page, each item exactly as the API sent
/// it; nothing is kept, so a list of any length prints in constant memory.
/// </summary>
internal sealed class JsonArrayWriter(TextWriter output)
{
    private bool _any;

    public void Add(JsonElement item)
    {
        output.Write(_any ? ",\n" : "[\n");
        output.Write(item.GetRawText());
        _any = true;
    }

    public void Finish() => output.WriteLine(_any ? "\n]" : "[]");
}
