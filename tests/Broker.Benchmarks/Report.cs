using System.Globalization;
using System.Text;

namespace Broker.Benchmarks;

/// <summary>A column of a scenario table; with Ratio a "vs first" column follows it.</summary>
internal sealed record Column(string Key, string Header, string Format, bool Ratio = false);

/// <summary>One target (and client) measured in one scenario.</summary>
internal sealed class Row(string target, string client)
{
    public string Target { get; } = target;

    public string Client { get; } = client;

    public Dictionary<string, double?> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Text shown in a column that has no number (e.g. "n/a", "yes").</summary>
    public Dictionary<string, string> Texts { get; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];

    public string? Error { get; set; }

    public double? this[string key]
    {
        get => Values.GetValueOrDefault(key);
        set => Values[key] = value;
    }
}

/// <summary>One scenario's results: a Markdown table with one row per target and client.</summary>
internal sealed class Table(string scenario, string title, string description, IReadOnlyList<Column> columns)
{
    public string Scenario { get; } = scenario;

    public string Title { get; } = title;

    public string Description { get; } = description;

    public IReadOnlyList<Column> Columns { get; } = columns;

    public List<Row> Rows { get; } = [];

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"## {Title}\n\n{Description}\n\n");
        var headers = new List<string> { "target", "client" };
        foreach (var c in Columns)
        {
            headers.Add(c.Header);
            if (c.Ratio)
            {
                headers.Add("vs first");
            }
        }

        headers.Add("notes");
        sb.Append("| ").AppendJoin(" | ", headers).Append(" |\n");
        sb.Append('|').AppendJoin("|", headers.Select((h, i) => i < 2 || i == headers.Count - 1 ? "---" : "---:")).Append("|\n");
        foreach (var row in Rows)
        {
            var cells = new List<string> { row.Target, row.Client };
            foreach (var c in Columns)
            {
                var v = row.Error == null ? row[c.Key] : null;
                cells.Add(v is { } x && double.IsFinite(x) ? x.ToString(c.Format, CultureInfo.InvariantCulture)
                    : row.Error == null && row.Texts.TryGetValue(c.Key, out var text) ? text : "-");
                if (c.Ratio)
                {
                    // Against the first row with the same client that has this value.
                    var b = Rows.Where(r => r.Client == row.Client && r.Error == null).Select(r => r[c.Key]).FirstOrDefault(x => x is { } y && double.IsFinite(y));
                    cells.Add(v is { } n && b is { } d && d != 0 && double.IsFinite(n / d) ? (n / d).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-");
                }
            }

            var notes = row.Error != null ? [$"**error**: {row.Error}", .. row.Notes] : row.Notes;
            cells.Add(string.Join("; ", notes).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal));
            sb.Append("| ").AppendJoin(" | ", cells).Append(" |\n");
        }

        return sb.Append('\n').ToString();
    }
}
