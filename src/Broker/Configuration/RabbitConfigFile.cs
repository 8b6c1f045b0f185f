namespace Broker.Configuration;

/// <summary>
/// RabbitMQ's new-style config format (cuttlefish's rabbitmq.conf): one <c>key = value</c> per line,
/// <c>#</c> starting a comment (also after a value), keys of dot-separated words (letters, digits,
/// <c>_</c> and <c>-</c>). Anything else is an error naming the file and line (RabbitMQ: "Syntax
/// error in FILE after line N"); what the keys mean is <see cref="RabbitConfigMapping"/>'s job.
/// </summary>
internal static class RabbitConfigFile
{
    public static List<ConfigEntry> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{path}: cannot read the config file: {ex.Message}");
        }

        return Parse(text, path);
    }

    public static List<ConfigEntry> Parse(string text, string path)
    {
        var entries = new List<ConfigEntry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var source = new ConfigSource(path, i + 1);
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new ConfigurationException($"{source}: expected 'key = value', found '{Shorten(line)}'");
            }

            var key = line[..equals].Trim();
            if (!IsKey(key))
            {
                throw new ConfigurationException($"{source}: '{Shorten(key)}' is not a config key (dot-separated words of letters, digits, '_' and '-')");
            }

            entries.Add(new ConfigEntry(key, ReadValue(line[(equals + 1)..].Trim(), key, source), source));
        }

        return entries;
    }

    /// <summary>
    /// Up to a '#', trimmed. As cuttlefish 3.0 (RabbitMQ 3.10) reads it, quotes are part of the
    /// value and cannot protect a '#': default_pass = 'a#b' is the password "'a".
    /// </summary>
    private static string ReadValue(string rest, string key, ConfigSource source)
    {
        var comment = rest.IndexOf('#', StringComparison.Ordinal);
        var value = (comment < 0 ? rest : rest[..comment]).Trim();
        return value.Length > 0 ? value : throw new ConfigurationException($"{source}: {key}: no value after '='");
    }

    private static bool IsKey(string key)
    {
        if (key.Length == 0)
        {
            return false;
        }

        foreach (var segment in key.Split('.'))
        {
            if (segment.Length == 0 || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
