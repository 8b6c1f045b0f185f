using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Broker.Engine.Policies;

/// <summary>
/// A policy's pattern as RabbitMQ uses it: <c>re:run(Name, Pattern, [{capture, none}])</c>, a PCRE
/// match anywhere in the name unless the pattern anchors itself. .NET's regex engine runs it after the
/// PCRE syntax .NET lacks is rewritten (<c>\Q…\E</c>, <c>\x{hh}</c>, <c>(?P&lt;name&gt;…)</c>,
/// <c>(?P=name)</c>, POSIX classes such as <c>[[:alpha:]]</c>); a pattern neither accepts is refused
/// with PCRE's message and offset, as re:compile reports them ({"missing )",1}).
/// </summary>
internal sealed class PolicyPattern
{
    // PCRE gives up on a runaway match (match_limit) and re:run reports no match; so do we, sooner.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;

    private PolicyPattern(Regex regex)
    {
        _regex = regex;
    }

    public bool IsMatch(string name)
    {
        try
        {
            return _regex.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Compiles <paramref name="pattern"/>; on failure <paramref name="error"/> is re:compile's {Message, Offset}.</summary>
    public static PolicyPattern? TryCreate(string pattern, out object? error)
    {
        if (Translate(pattern, out var translated) is { } invalid)
        {
            error = invalid;
            return null;
        }

        try
        {
            error = null;
            return new PolicyPattern(new Regex(translated, RegexOptions.CultureInvariant, MatchTimeout));
        }
        catch (RegexParseException ex)
        {
            error = PcreError(ex, translated);
            return null;
        }
    }

    private static object Error(string message, int offset) => ErlangTerm.Tuple(ErlangTerm.Chars(message), (long)offset);

    /// <summary>PCRE's text for what .NET refused (the messages of the PCRE 8 that Erlang's re embeds).</summary>
    private static object PcreError(RegexParseException ex, string pattern)
    {
        var at = ex.Offset;
        return ex.Error switch
        {
            RegexParseError.InsufficientClosingParentheses => Error("missing )", at),
            RegexParseError.InsufficientOpeningParentheses => Error("unmatched parentheses", at - 1),
            RegexParseError.QuantifierAfterNothing or RegexParseError.NestedQuantifiersNotParenthesized =>
                Error("nothing to repeat", QuantifierEnd(pattern, at - 1)),
            RegexParseError.ReversedQuantifierRange => Error("numbers out of order in {} quantifier", at - 1),
            RegexParseError.UnterminatedBracket => Error("missing terminating ] for character class", at),
            RegexParseError.ReversedCharacterRange => Error("range out of order in character class", at - 1),
            RegexParseError.UnescapedEndingBackslash => Error("\\ at end of pattern", at),
            RegexParseError.MissingControlCharacter => Error("\\c at end of pattern", at),
            RegexParseError.MalformedNamedReference => Error("\\k is not followed by a braced, angle-bracketed, or quoted name", at),
            RegexParseError.UnrecognizedUnicodeProperty or RegexParseError.MalformedUnicodePropertyEscape =>
                Error("unknown property name after \\P or \\p", at - 1),
            RegexParseError.UnterminatedComment => Error("missing ) after comment", at),
            RegexParseError.InvalidGroupingConstruct => GroupError(pattern, at),
            RegexParseError.UndefinedNamedReference => Error("reference to non-existent subpattern", at),
            RegexParseError.UndefinedNumberedReference => Error("reference to non-existent subpattern", at),
            RegexParseError.InsufficientOrInvalidHexDigits => Error("illegal hexadecimal character", at),
            RegexParseError.UnrecognizedEscape => Error("unrecognized character follows \\", at - 1),
            _ => Error("syntax error in pattern", at),
        };
    }

    private static object GroupError(string pattern, int at)
    {
        var open = pattern.LastIndexOf("(?", Math.Min(Math.Max(at - 1, 0), pattern.Length - 1), StringComparison.Ordinal);
        if (open >= 0 && open + 2 < pattern.Length && pattern[open + 2] is '<' or '\'' or 'P')
        {
            return Error("syntax error in subpattern name (missing terminator)", at);
        }

        return Error("unrecognized character after (? or (?-", at >= pattern.Length ? at : at - 1);
    }

    /// <summary>PCRE reports a misplaced {n,m} quantifier at its closing brace, a one-character one where it stands.</summary>
    private static int QuantifierEnd(string pattern, int at)
    {
        if (at >= 0 && at < pattern.Length && pattern[at] == '{')
        {
            var close = pattern.IndexOf('}', at);
            return close < 0 ? at : close;
        }

        return Math.Max(at, 0);
    }

    /// <summary>Rewrites PCRE-only syntax for .NET; returns re:compile's error when PCRE itself refuses the pattern.</summary>
    private static object? Translate(string pattern, out string translated)
    {
        var output = new StringBuilder(pattern.Length);
        var inClass = false;
        var classStart = -1;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[i + 1];
                if (next == 'Q')
                {
                    var end = pattern.IndexOf("\\E", i + 2, StringComparison.Ordinal);
                    var literal = end < 0 ? pattern[(i + 2)..] : pattern[(i + 2)..end];
                    output.Append(inClass ? EscapeInClass(literal) : Regex.Escape(literal));
                    i = end < 0 ? pattern.Length : end + 1;
                    continue;
                }

                if (next == 'x' && i + 2 < pattern.Length && pattern[i + 2] == '{')
                {
                    var close = pattern.IndexOf('}', i + 3);
                    if (close > i + 3 && int.TryParse(pattern.AsSpan(i + 3, close - i - 3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        // Erlang's re works on bytes (no unicode option): one character is one byte.
                        if (code > 0xFF)
                        {
                            translated = pattern;
                            return Error("character value in \\x{} or \\o{} is too large", close);
                        }

                        output.Append("\\x").Append(code.ToString("X2", CultureInfo.InvariantCulture));
                        i = close;
                        continue;
                    }
                }

                output.Append(c).Append(next);
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':'
                    && pattern.IndexOf(":]", i + 2, StringComparison.Ordinal) is var posixEnd and > 0)
                {
                    var negated = i + 2 < pattern.Length && pattern[i + 2] == '^';
                    var nameStart = i + (negated ? 3 : 2);
                    var name = pattern[nameStart..posixEnd];
                    if (PosixClass(name, negated) is not { } replacement)
                    {
                        translated = pattern;
                        return Error("unknown POSIX class name", nameStart);
                    }

                    output.Append(replacement);
                    i = posixEnd + 1;
                    continue;
                }

                // A ']' first in the class (or after '^') is a literal in PCRE.
                if (c == ']' && i > classStart + 1 && !(i == classStart + 2 && pattern[classStart + 1] == '^'))
                {
                    inClass = false;
                }

                output.Append(c == ']' && inClass ? "\\]" : c.ToString());
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    classStart = i;
                    output.Append(c);
                    break;
                case '(' when pattern.AsSpan(i).StartsWith("(?P<"):
                    output.Append("(?<");
                    i += 3;
                    break;
                case '(' when pattern.AsSpan(i).StartsWith("(?P="):
                    var close = pattern.IndexOf(')', i);
                    if (close < 0)
                    {
                        output.Append(c);
                        break;
                    }

                    output.Append("\\k<").Append(pattern, i + 4, close - i - 4).Append('>');
                    i = close;
                    break;
                case '{' when QuantifierTooBig(pattern, i) is { } tooBig:
                    translated = pattern;
                    return Error("number too big in {} quantifier", tooBig);
                default:
                    output.Append(c);
                    break;
            }
        }

        translated = output.ToString();
        return null;
    }

    /// <summary>PCRE's {n,m} takes numbers up to 65535; returns where the number that is too big ends.</summary>
    private static int? QuantifierTooBig(string pattern, int open)
    {
        var i = open + 1;
        while (i < pattern.Length && (char.IsAsciiDigit(pattern[i]) || pattern[i] == ','))
        {
            i++;
        }

        if (i >= pattern.Length || pattern[i] != '}' || i == open + 1)
        {
            return null;
        }

        foreach (var part in pattern[(open + 1)..i].Split(','))
        {
            if (part.Length > 0 && (part.Length > 5 || int.Parse(part, CultureInfo.InvariantCulture) > 65535))
            {
                return i;
            }
        }

        return null;
    }

    private static string EscapeInClass(string literal)
    {
        var escaped = new StringBuilder(literal.Length);
        foreach (var c in literal)
        {
            if (c is '\\' or ']' or '[' or '^' or '-')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <summary>PCRE's POSIX classes (ASCII, as Erlang's re without unicode) in .NET class syntax.</summary>
    private static string? PosixClass(string name, bool negated)
    {
        if (negated)
        {
            // .NET has no complement inside a class but these three.
            return name switch { "digit" => "\\D", "space" => "\\S", "word" => "\\W", _ => null };
        }

        return name switch
        {
            "alpha" => "a-zA-Z",
            "digit" => "0-9",
            "alnum" => "a-zA-Z0-9",
            "upper" => "A-Z",
            "lower" => "a-z",
            "space" => "\\t\\n\\v\\f\\r ",
            "blank" => " \\t",
            "xdigit" => "0-9A-Fa-f",
            "punct" => "!-/:-@\\[-`{-~",
            "word" => "a-zA-Z0-9_",
            "cntrl" => "\\x00-\\x1f\\x7f",
            "print" => " -~",
            "graph" => "!-~",
            "ascii" => "\\x00-\\x7f",
            _ => null,
        };
    }
}
