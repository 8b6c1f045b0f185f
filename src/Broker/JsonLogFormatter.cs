using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Broker;

/// <summary>
/// One JSON object a line in the compact log event format (CLEF: @t, @l, @m, @mt, @x, then the event's
/// properties at the top level), which Seq, Loki, jq and the clef tools read. Written here instead of
/// adding Serilog.Formatting.Compact for two reasons: it is thirty lines, and @m renders string
/// properties without quotes, as the text format does (the listening line reads
/// "listening on amqp://[::]:5672" in both).
/// </summary>
internal sealed class JsonLogFormatter : ITextFormatter
{
    private readonly JsonValueFormatter _values = new(typeTagName: "$type");

    public void Format(LogEvent logEvent, TextWriter output)
    {
        output.Write("{\"@t\":\"");
        output.Write(logEvent.Timestamp.ToString("O", CultureInfo.InvariantCulture));
        output.Write("\",\"@l\":\"");
        output.Write(logEvent.Level.ToString());
        output.Write("\",\"@m\":");
        JsonValueFormatter.WriteQuotedJsonString(RenderMessage(logEvent), output);
        output.Write(",\"@mt\":");
        JsonValueFormatter.WriteQuotedJsonString(logEvent.MessageTemplate.Text, output);
        if (logEvent.Exception is not null)
        {
            output.Write(",\"@x\":");
            JsonValueFormatter.WriteQuotedJsonString(logEvent.Exception.ToString(), output);
        }

        foreach (var (name, value) in logEvent.Properties)
        {
            output.Write(',');

            // CLEF reserves names that start with @: such a property is written with @@.
            JsonValueFormatter.WriteQuotedJsonString(name.StartsWith('@') ? "@" + name : name, output);
            output.Write(':');
            _values.Format(value, output);
        }

        output.Write('}');
        output.Write('\n');
    }

    private static string RenderMessage(LogEvent logEvent)
    {
        using var message = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value) && value is ScalarValue { Value: string text })
            {
                message.Write(text);
            }
            else
            {
                token.Render(logEvent.Properties, message, CultureInfo.InvariantCulture);
            }
        }

        return message.ToString();
    }
}
