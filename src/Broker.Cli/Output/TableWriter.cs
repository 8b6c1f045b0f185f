using System.Globalization;

namespace Broker.Cli.Output;

/// <summary>
/// Aligned columns: a header, then the rows, columns two spaces apart; columns of numbers are aligned
/// right. Rows are kept until <see cref="Write"/> since a column is as wide as its widest cell (only
/// their strings are kept, not the API's objects).
/// </summary>
internal sealed class TableWriter(IReadOnlyList<string> headers)
{
    private readonly List<string[]> _rows = [];

    public int RowCount => _rows.Count;

    public void Add(string[] row)
    {
        if (row.Length != headers.Count)
        {
            throw new ArgumentException($"a row of {row.Length} cells in a table of {headers.Count} columns", nameof(row));
        }

        _rows.Add(row);
    }

    /// <summary>Writes the header (unless <paramref name="header"/> is false) and the rows.</summary>
    public void Write(TextWriter output, bool header = true)
    {
        var widths = new int[headers.Count];
        var numeric = new bool[headers.Count];
        for (var column = 0; column < headers.Count; column++)
        {
            widths[column] = header ? headers[column].Length : 0;
            var anyNumber = false;
            var allNumbers = true;
            foreach (var row in _rows)
            {
                widths[column] = Math.Max(widths[column], row[column].Length);
                if (row[column].Length > 0)
                {
                    var isNumber = double.TryParse(row[column], NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                    anyNumber |= isNumber;
                    allNumbers &= isNumber;
                }
            }

            numeric[column] = anyNumber && allNumbers;
        }

        if (header)
        {
            WriteLine(output, [.. headers], widths, numeric);
        }

        foreach (var row in _rows)
        {
            WriteLine(output, row, widths, numeric);
        }
    }

    private static void WriteLine(TextWriter output, string[] cells, int[] widths, bool[] numeric)
    {
        var line = new System.Text.StringBuilder();
        for (var column = 0; column < cells.Length; column++)
        {
            if (column > 0)
            {
                line.Append("  ");
            }

            var pad = widths[column] - cells[column].Length;
            if (numeric[column])
            {
                line.Append(' ', pad).Append(cells[column]);
            }
            else
            {
                line.Append(cells[column]).Append(' ', pad);
            }
        }

        output.WriteLine(line.ToString().TrimEnd());
    }
}
