using System.Globalization;
using System.Text;
using Broker.DataModel.Encoding;

namespace Broker.Engine.Policies;

/// <summary>
/// Values printed as RabbitMQ's policy errors print them: io_lib:format's <c>~p</c> (io_lib_pretty, 80
/// columns, latin1) and <c>~s</c>. Values come as field tables hold JSON: strings (byte[] or string) are
/// binaries (<c>&lt;&lt;"abc"&gt;&gt;</c>), numbers integers or floats, true/false/null atoms, arrays
/// lists (a list of printable character codes prints as a string, as Erlang's does), objects maps; and
/// <see cref="Tuple"/>, <see cref="Atom"/> and <see cref="Chars"/> for the terms RabbitMQ adds itself.
/// The line breaks matter: a term that does not fit after the text before it is broken over lines
/// exactly as RabbitMQ's reason texts show them.
/// </summary>
public static class ErlangTerm
{
    private const int LineLength = 80;

    // Erlang's map value indentation when a pair is broken over two lines (io_lib_pretty's default).
    private const int MapValueIndent = 4;

    /// <summary>An Erlang tuple of the given elements.</summary>
    public static object Tuple(params object?[] elements) => new TupleTerm(elements);

    /// <summary>An Erlang atom (printed bare: none, undefined).</summary>
    public static object Atom(string name) => new AtomTerm(name);

    /// <summary>An Erlang string (a list of characters, printed in double quotes).</summary>
    public static object Chars(string text) => new CharsTerm(text);

    /// <summary>
    /// io_lib:format with <c>~p</c> (pretty-printed, starting at the column the text before it reached)
    /// and <c>~s</c> (a binary or string as its characters, an atom as its name).
    /// </summary>
    public static string Format(string format, params object?[] arguments)
    {
        var output = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '~' || i + 1 >= format.Length)
            {
                output.Append(format[i]);
                continue;
            }

            var directive = format[++i];
            switch (directive)
            {
                case 'p':
                    output.Append(Print(arguments[next++], Column(output)));
                    break;
                case 's':
                    output.Append(Text(arguments[next++]));
                    break;
                case 'n':
                    output.Append('\n');
                    break;
                default:
                    output.Append('~').Append(directive);
                    break;
            }
        }

        return output.ToString();
    }

    /// <summary>The term printed with <c>~p</c> starting at <paramref name="column"/> (1 for the start of a line).</summary>
    public static string Print(object? value, int column = 1)
    {
        var node = Build(value);
        if (node.Kind == Kind.Leaf || node.Len < LineLength - column)
        {
            return Write(node);
        }

        var output = new StringBuilder();
        Pretty(output, node, column, new string(' ', column - 1), lastDepth: 0, width: 0, maxChars: node.Len);
        return output.ToString();
    }

    /// <summary>What <c>~s</c> prints: a binary's or string's characters, an atom's name, else the term.</summary>
    public static string Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        CharsTerm chars => chars.Text,
        AtomTerm atom => atom.Name,
        _ => Print(value),
    };

    private static int Column(StringBuilder output)
    {
        var column = 1;
        for (var i = output.Length - 1; i >= 0 && output[i] != '\n'; i--)
        {
            column++;
        }

        return column;
    }

    private enum Kind : byte
    {
        /// <summary>Printed as is, never broken; may share a line with its neighbours.</summary>
        Leaf,

        /// <summary>A binary that is not printable text: its bytes.</summary>
        Bytes,
        List,
        Tuple,
        Map,
        Pair,
    }

    private sealed record Node(Kind Kind, string Text, List<Node> Items, int Len);

    private sealed record TupleTerm(object?[] Elements);

    private sealed record AtomTerm(string Name);

    private sealed record CharsTerm(string Text);

    private static Node Leaf(string text) => new(Kind.Leaf, text, [], text.Length);

    private static Node Build(object? value)
    {
        switch (value)
        {
            case null:
                return Leaf("null");
            case bool flag:
                return Leaf(flag ? "true" : "false");
            case AtomTerm atom:
                return Leaf(atom.Name);
            case CharsTerm chars:
                return Leaf(Quoted(chars.Text));
            case byte[] bytes:
                return Binary(bytes);
            case string text:
                return Binary(Encoding.UTF8.GetBytes(text));
            case float single:
                return Leaf(Float(single));
            case double number:
                return Leaf(Float(number));
            case AmqpDecimal dec:
                return Leaf(Float((double)dec.ToDecimal()));
            case TupleTerm tuple:
                return Compound(Kind.Tuple, [.. tuple.Elements.Select(Build)]);
            case List<object?> list:
                if (list.Count == 0)
                {
                    return Leaf("[]");
                }

                return PrintableChars(list) is { } printable ? Leaf(Quoted(printable)) : Compound(Kind.List, [.. list.Select(Build)]);
            case FieldTable table:
                if (table.Count == 0)
                {
                    return Leaf("#{}");
                }

                // Small maps print in key order; binary keys compare bytewise.
                var pairs = table
                    .OrderBy(entry => Encoding.UTF8.GetBytes(entry.Key), BytewiseOrder.Instance)
                    .Select(entry =>
                    {
                        var key = Binary(Encoding.UTF8.GetBytes(entry.Key));
                        var item = Build(entry.Value);
                        return new Node(Kind.Pair, string.Empty, [key, item], key.Len + 4 + item.Len);
                    })
                    .ToList();
                return new Node(Kind.Map, string.Empty, pairs, 3 + pairs.Sum(p => p.Len) + pairs.Count - 1);
            default:
                return FieldValues.AsInteger(value) is { } integer
                    ? Leaf(integer.ToString(CultureInfo.InvariantCulture))
                    : Leaf(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
        }
    }

    private static Node Compound(Kind kind, List<Node> items) =>
        new(kind, string.Empty, items, 2 + items.Sum(i => i.Len) + Math.Max(items.Count - 1, 0));

    private static Node Binary(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return Leaf("<<>>");
        }

        // ~p prints latin1: every byte a printable latin1 character, or else the bytes.
        if (bytes.All(b => IsPrintableLatin1(b)))
        {
            return Leaf("<<" + Quoted(string.Concat(bytes.Select(b => (char)b))) + ">>");
        }

        var text = "<<" + string.Join(',', bytes.Select(b => b.ToString(CultureInfo.InvariantCulture))) + ">>";
        return new Node(Kind.Bytes, text, [], text.Length);
    }

    private static string? PrintableChars(List<object?> list)
    {
        var chars = new StringBuilder(list.Count);
        foreach (var item in list)
        {
            if (FieldValues.AsInteger(item) is not { } code || !IsPrintableLatin1(code))
            {
                return null;
            }

            chars.Append((char)code);
        }

        return chars.ToString();
    }

    private static bool IsPrintableLatin1(long c) =>
        c is (>= 32 and <= 126) or (>= 160 and <= 255) or '\n' or '\r' or '\t' or '\v' or '\b' or '\f' or 27;

    private static string Quoted(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\v' => "\\v",
                '\b' => "\\b",
                '\f' => "\\f",
                (char)27 => "\\e",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    /// <summary>
    /// Erlang's shortest float text: the fewest digits that read back to the same double, written in
    /// fixed or scientific notation, whichever is shorter (fixed on a tie): 1.5, 100.0, 1.0e3, 1.0e-5.
    /// </summary>
    internal static string Float(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        var sign = value < 0 || (value == 0 && double.IsNegative(value)) ? "-" : string.Empty;
        // The shortest round-tripping digits, from "R" (which may be fixed or scientific).
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = shortest.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? shortest : shortest[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(shortest[(exponentAt + 1)..], CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        var integerDigits = point < 0 ? mantissa.Length : point;

        // Normalise to d.ddd × 10^e with no leading zeros.
        var leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        digits = digits[leadingZeros..].TrimEnd('0');
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }

        var e = exponent + integerDigits - 1 - leadingZeros;
        var scientific = digits[0] + "." + (digits.Length > 1 ? digits[1..] : "0") + "e" + e.ToString(CultureInfo.InvariantCulture);
        string fixedText;
        if (e >= 0)
        {
            fixedText = digits.Length <= e + 1
                ? digits + new string('0', e + 1 - digits.Length) + ".0"
                : digits[..(e + 1)] + "." + digits[(e + 1)..];
        }
        else
        {
            fixedText = "0." + new string('0', -e - 1) + digits;
        }

        return sign + (scientific.Length < fixedText.Length ? scientific : fixedText);
    }

    private static string Write(Node node)
    {
        var output = new StringBuilder(node.Len);
        Write(output, node);
        return output.ToString();
    }

    private static void Write(StringBuilder output, Node node)
    {
        switch (node.Kind)
        {
            case Kind.Leaf:
            case Kind.Bytes:
                output.Append(node.Text);
                break;
            case Kind.Pair:
                Write(output, node.Items[0]);
                output.Append(" => ");
                Write(output, node.Items[1]);
                break;
            default:
                output.Append(node.Kind switch { Kind.List => "[", Kind.Tuple => "{", _ => "#{" });
                for (var i = 0; i < node.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(',');
                    }

                    Write(output, node.Items[i]);
                }

                output.Append(node.Kind == Kind.List ? "]" : "}");
                break;
        }
    }

    private static bool IsLeaf(Node node) => node.Kind == Kind.Leaf;

    private static bool Fits(Node node, int column, int lastDepth, int width, int maxChars) =>
        node.Len < LineLength - column - lastDepth && node.Len + width + lastDepth <= maxChars;

    // io_lib_pretty:pp: the whole term on one line if it fits, else its elements one below the other
    // (consecutive leaves share a line while they fit).
    private static void Pretty(StringBuilder output, Node node, int column, string indent, int lastDepth, int width, int maxChars)
    {
        if (Fits(node, column, lastDepth, width, maxChars))
        {
            Write(output, node);
            return;
        }

        switch (node.Kind)
        {
            case Kind.List:
            case Kind.Tuple:
                output.Append(node.Kind == Kind.List ? '[' : '{');
                PrettyElements(output, node.Items, column + 1, indent + " ", lastDepth, width + 1, maxChars);
                output.Append(node.Kind == Kind.List ? ']' : '}');
                break;
            case Kind.Map:
                output.Append("#{");
                PrettyPairs(output, node.Items, column + 2, indent + "  ", lastDepth, width + 1, maxChars);
                output.Append('}');
                break;
            default:
                Write(output, node);
                break;
        }
    }

    private static int LastDepth(int index, int count, int lastDepth) => index == count - 1 ? lastDepth + 1 : 0;

    private static void PrettyElements(StringBuilder output, List<Node> items, int startColumn, string indent, int lastDepth, int width, int maxChars)
    {
        var elementWidth = PrettyElement(output, items[0], startColumn, indent, LastDepth(0, items.Count, lastDepth), width, maxChars);
        var column = startColumn + elementWidth;
        width += elementWidth;
        for (var i = 1; i < items.Count; i++)
        {
            var item = items[i];
            var depth = LastDepth(i, items.Count, lastDepth);
            var length = 1 + item.Len;
            var sameLine = IsLeaf(item) && (depth == 0
                ? length + 1 < LineLength - column && width + length + 1 <= maxChars
                : length < LineLength - column - depth && width + length + depth <= maxChars);
            if (sameLine)
            {
                output.Append(',');
                Write(output, item);
                column += length;
                width += length;
            }
            else
            {
                output.Append(",\n").Append(indent);
                elementWidth = PrettyElement(output, item, startColumn, indent, depth, 0, maxChars);
                column = startColumn + elementWidth;
                width = elementWidth;
            }
        }
    }

    /// <summary>Prints one element; returns its width, or the line length when what follows must start a new line.</summary>
    private static int PrettyElement(StringBuilder output, Node item, int column, string indent, int lastDepth, int width, int maxChars)
    {
        if (IsLeaf(item) && Fits(item, column, lastDepth, width, maxChars))
        {
            Write(output, item);
            return item.Len;
        }

        Pretty(output, item, column, indent, lastDepth, width, maxChars);
        return LineLength;
    }

    private static void PrettyPairs(StringBuilder output, List<Node> pairs, int startColumn, string indent, int lastDepth, int width, int maxChars)
    {
        var pairWidth = PrettyPair(output, pairs[0], startColumn, indent, LastDepth(0, pairs.Count, lastDepth), width, maxChars);
        var column = startColumn + pairWidth;
        width = pairWidth;
        for (var i = 1; i < pairs.Count; i++)
        {
            var pair = pairs[i];
            var depth = LastDepth(i, pairs.Count, lastDepth);
            var length = 1 + pair.Len;
            var leaves = IsLeaf(pair.Items[0]) && IsLeaf(pair.Items[1]);
            var sameLine = leaves && (depth == 0
                ? length + 1 < LineLength - column && width + length + 1 <= maxChars
                : length < LineLength - column - depth && width + length + depth <= maxChars);
            if (sameLine)
            {
                output.Append(',');
                Write(output, pair);
                column += length;
                width += length;
            }
            else
            {
                output.Append(",\n").Append(indent);
                pairWidth = PrettyPair(output, pair, startColumn, indent, depth, 0, maxChars);
                column = startColumn + pairWidth;
                width = pairWidth;
            }
        }
    }

    private static int PrettyPair(StringBuilder output, Node pair, int column, string indent, int lastDepth, int width, int maxChars)
    {
        if (Fits(pair, column, lastDepth, width, maxChars))
        {
            Write(output, pair);
            return IsLeaf(pair.Items[0]) && IsLeaf(pair.Items[1]) ? pair.Len : LineLength;
        }

        Pretty(output, pair.Items[0], column, indent, lastDepth, width, maxChars);
        var valueIndent = indent + new string(' ', MapValueIndent);
        output.Append(" =>\n").Append(valueIndent);
        Pretty(output, pair.Items[1], column + MapValueIndent, valueIndent, lastDepth, 0, maxChars);
        return LineLength;
    }
}
