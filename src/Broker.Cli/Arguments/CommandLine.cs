using System.Collections.Frozen;
using System.Globalization;

namespace Broker.Cli.Arguments;

/// <summary>
/// A parsed command line: the words (command, object kind, names) in order and the options, which may
/// come anywhere. <c>--name value</c> and <c>--name=value</c> are the same; a flag takes no value
/// (<c>--if-empty</c>) but accepts an explicit one (<c>--durable=false</c>); <c>--</c> ends options,
/// for names that start with a dash. Every option a command reads is marked used, so one given to a
/// command that ignores it is refused before anything is sent instead of silently doing nothing.
/// An option is global wherever it stands, except that a command may claim an option given after its
/// first word (<c>add user bob --password secret</c> names bob's password, not the caller's).
/// </summary>
internal sealed class CommandLine
{
    private static readonly FrozenSet<string> ValueOptions = FrozenSet.Create(
        StringComparer.Ordinal,
        "url", "user", "password", "vhost", "format", "timeout", "page-size", "columns",
        "reason", "type", "arguments", "tags", "description", "default-queue-type",
        "configure", "write", "read", "pattern", "definition", "priority", "apply-to",
        "exchange", "routing-key", "payload", "payload-encoding", "properties",
        "count", "ackmode", "encoding", "source", "destination", "destination-type");

    private static readonly FrozenSet<string> FlagOptions = FrozenSet.Create(
        StringComparer.Ordinal, "help", "durable", "auto-delete", "internal", "if-unused", "if-empty");

    private readonly List<string> _words;
    private readonly List<(string Name, string Value, bool AfterFirstWord)> _options;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _keywords = [];
    private int _wordsUsed;

    private CommandLine(List<string> words, List<(string Name, string Value, bool AfterFirstWord)> options)
    {
        _words = words;
        _options = options;
    }

    public int WordCount => _words.Count;

    /// <summary>The command's keywords read so far ("delete queue"), for messages.</summary>
    public string CommandName => string.Join(' ', _keywords);

    public bool Has(string option) => _options.Exists(o => o.Name == option);

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var words = new List<string>();
        var options = new List<(string Name, string Value, bool AfterFirstWord)>();
        var optionsEnded = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (optionsEnded || arg == "-" || !arg.StartsWith('-'))
            {
                words.Add(arg);
                continue;
            }

            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }

            if (arg == "-h")
            {
                options.Add(("help", "true", words.Count > 0));
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option {arg}");
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            string? value = equals < 0 ? null : arg[(equals + 1)..];
            if (FlagOptions.Contains(name))
            {
                value ??= "true";
                if (value is not ("true" or "false"))
                {
                    throw new UsageException($"--{name} is true or false, not '{value}'");
                }
            }
            else if (ValueOptions.Contains(name))
            {
                if (value is null)
                {
                    // The next argument is the value whatever it looks like: a reason or payload may
                    // start with a dash.
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"--{name} needs a value");
                    }

                    value = args[++i];
                }
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }

            options.Add((name, value, words.Count > 0));
        }

        return new CommandLine(words, options);
    }

    /// <summary>The next word, lower-cased for matching a command or kind; null when there is none.</summary>
    public string? NextKeyword()
    {
        if (_wordsUsed >= _words.Count)
        {
            return null;
        }

        var keyword = _words[_wordsUsed++].ToLowerInvariant();
        _keywords.Add(keyword);
        return keyword;
    }

    /// <summary>The next word as given (a name, a file); refuses a missing one, naming it.</summary>
    public string NextWord(string what)
    {
        if (_wordsUsed >= _words.Count)
        {
            throw new UsageException($"missing {what}");
        }

        return _words[_wordsUsed++];
    }

    /// <summary>The next word if there is one (an optional file).</summary>
    public string? NextWordOrNull() => _wordsUsed < _words.Count ? _words[_wordsUsed++] : null;

    /// <summary>An object's name: the API addresses no object by an empty name.</summary>
    public string NextName(string what)
    {
        var name = NextWord(what);
        return name.Length > 0 ? name : throw new UsageException($"the {what} cannot be empty");
    }

    /// <summary>The option's value (the last one given), or null.</summary>
    public string? Option(string name)
    {
        _used.Add(name);
        var index = _options.FindLastIndex(o => o.Name == name);
        return index < 0 ? null : _options[index].Value;
    }

    /// <summary>Claims an option given after the command's first word for the command, leaving one
    /// given before it to <see cref="Option"/>.</summary>
    public string? TakeCommandOption(string name)
    {
        _used.Add(name);
        var index = _options.FindLastIndex(o => o.Name == name && o.AfterFirstWord);
        if (index < 0)
        {
            return null;
        }

        var value = _options[index].Value;
        _options.RemoveAll(o => o.Name == name && o.AfterFirstWord);
        return value;
    }

    public string RequiredOption(string name, string what) =>
        Option(name) ?? throw new UsageException($"--{name} {what} is required");

    public bool Flag(string name, bool whenAbsent = false)
    {
        var value = Option(name);
        return value is null ? whenAbsent : value == "true";
    }

    public int? IntOption(string name, int min, int max)
    {
        var value = Option(name);
        if (value is null)
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new UsageException($"--{name} must be a whole number from {min} to {max}, not '{value}'");
        }

        return number;
    }

    /// <summary>Refuses words and options the command did not read, before it sends anything.</summary>
    public void EnsureAllUsed(string command)
    {
        if (_wordsUsed < _words.Count)
        {
            throw new UsageException($"unexpected '{_words[_wordsUsed]}' after {command}");
        }

        foreach (var (name, _, _) in _options)
        {
            if (!_used.Contains(name))
            {
                throw new UsageException($"--{name} does not apply to {command}");
            }
        }
    }
}
