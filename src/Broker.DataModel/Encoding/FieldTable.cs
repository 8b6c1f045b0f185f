using System.Collections;
using TextEncoding = System.Text.Encoding;

namespace Broker.DataModel.Encoding;

/// <summary>
/// An AMQP field table: ordered name/value pairs. Values are <c>bool</c>, <c>sbyte</c>, <c>byte</c>,
/// <c>short</c>, <c>ushort</c>, <c>int</c>, <c>uint</c>, <c>long</c>, <c>float</c>, <c>double</c>,
/// <see cref="AmqpDecimal"/>, <c>byte[]</c> (longstr; a <c>string</c> is accepted when writing),
/// <see cref="List{T}"/> of values (array), <see cref="AmqpTimestamp"/>, <see cref="FieldTable"/>,
/// <c>null</c> (void) and <see cref="AmqpBinary"/>.
/// Order is kept because clients and RabbitMQ keep it; lookups are linear because tables are small.
/// </summary>
public sealed class FieldTable : IEnumerable<KeyValuePair<string, object?>>, IEquatable<FieldTable>
{
    private readonly List<KeyValuePair<string, object?>> _entries;

    public FieldTable()
    {
        _entries = [];
    }

    public FieldTable(IEnumerable<KeyValuePair<string, object?>> entries)
    {
        _entries = [];
        foreach (var entry in entries)
        {
            this[entry.Key] = entry.Value;
        }
    }

    public int Count => _entries.Count;

    public object? this[string key]
    {
        get => TryGetValue(key, out var value) ? value : null;
        set
        {
            for (var i = 0; i < _entries.Count; i++)
            {
                if (_entries[i].Key == key)
                {
                    _entries[i] = new(key, value);
                    return;
                }
            }

            _entries.Add(new(key, value));
        }
    }

    public void Add(string key, object? value) => this[key] = value;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, out object? value)
    {
        foreach (var entry in _entries)
        {
            if (entry.Key == key)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public bool Remove(string key)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Key == key)
            {
                _entries.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>The value as text when it is a longstr (how clients send strings), else null.</summary>
    public string? GetString(string key) => FieldValues.AsString(this[key]);

    public List<KeyValuePair<string, object?>>.Enumerator GetEnumerator() => _entries.GetEnumerator();

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    public bool Equals(FieldTable? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        foreach (var entry in _entries)
        {
            if (!other.TryGetValue(entry.Key, out var value) || !FieldValues.AreEqual(entry.Value, value))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as FieldTable);

    /// <summary>
    /// Equal up to the width of numbers and the form of strings (an int 5 is equivalent to a long 5, a
    /// string to its UTF-8 bytes), recursively. For identities that must survive a restart, where the
    /// stored form of a value may not keep its original type.
    /// </summary>
    public bool EquivalentTo(FieldTable? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        foreach (var entry in _entries)
        {
            if (!other.TryGetValue(entry.Key, out var value) || !FieldValues.AreEquivalent(entry.Value, value))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode() => Count;

    public override string ToString()
    {
        var parts = new List<string>(_entries.Count);
        foreach (var entry in _entries)
        {
            parts.Add($"{entry.Key}={FieldValues.Format(entry.Value)}");
        }

        return "{" + string.Join(", ", parts) + "}";
    }
}

/// <summary>Helpers over field values: equality, RabbitMQ's type names, text.</summary>
public static class FieldValues
{
    public static bool AreEqual(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.GetType() != b.GetType())
        {
            return a is byte[] && b is string || a is string && b is byte[]? AsString(a) == AsString(b)
                : false;
        }

        switch (a)
        {
            case byte[] bytes:
                return bytes.AsSpan().SequenceEqual((byte[])b);
            case List<object?> list:
                var other = (List<object?>)b;
                if (list.Count != other.Count)
                {
                    return false;
                }

                for (var i = 0; i < list.Count; i++)
                {
                    if (!AreEqual(list[i], other[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return a.Equals(b);
        }
    }

    /// <summary>Equality up to number width and string form (see <see cref="FieldTable.EquivalentTo"/>).</summary>
    public static bool AreEquivalent(object? a, object? b)
    {
        if (AsInteger(a) is { } x && AsInteger(b) is { } y)
        {
            return x == y;
        }

        if (a is float or double && b is float or double)
        {
            return Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture) == Convert.ToDouble(b, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (a is FieldTable tableA && b is FieldTable tableB)
        {
            return tableA.EquivalentTo(tableB);
        }

        if (a is List<object?> listA && b is List<object?> listB)
        {
            if (listA.Count != listB.Count)
            {
                return false;
            }

            for (var i = 0; i < listA.Count; i++)
            {
                if (!AreEquivalent(listA[i], listB[i]))
                {
                    return false;
                }
            }

            return true;
        }

        return AreEqual(a, b);
    }

    public static string? AsString(object? value) => value switch
    {
        byte[] bytes => TextEncoding.UTF8.GetString(bytes),
        string text => text,
        _ => null,
    };

    /// <summary>RabbitMQ's name for a value's type, as it appears in "inequivalent arg" texts.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "void",
        bool => "bool",
        sbyte => "byte",
        byte => "unsignedbyte",
        short => "short",
        ushort => "unsignedshort",
        int => "signedint",
        uint => "unsignedint",
        long => "long",
        float => "float",
        double => "double",
        AmqpDecimal => "decimal",
        byte[] or string => "longstr",
        List<object?> => "array",
        AmqpTimestamp => "timestamp",
        FieldTable => "table",
        AmqpBinary => "binary",
        _ => value.GetType().Name,
    };

    /// <summary>Text of a value as RabbitMQ prints it in error texts.</summary>
    public static string Format(object? value) => value switch
    {
        null => "undefined",
        bool b => b ? "true" : "false",
        byte[] bytes => TextEncoding.UTF8.GetString(bytes),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>An integer value of any AMQP integer type, widened; null if not an integer.</summary>
    public static long? AsInteger(object? value) => value switch
    {
        sbyte v => v,
        byte v => v,
        short v => v,
        ushort v => v,
        int v => v,
        uint v => v,
        long v => v,
        _ => null,
    };
}
