namespace Broker.Configuration;

/// <summary>
/// Finds and reads the config files, in RabbitMQ's order: the main file, then the conf.d files by
/// name (a later file overriding an earlier one). Where they are:
/// <list type="bullet">
/// <item>the main file: <c>--config FILE</c> (BROKER_CONFIG), else RABBITMQ_CONFIG_FILE (with or
/// without its .conf extension, as RabbitMQ tries both), else <c>CONFIG_DIR/rabbitmq.conf</c>;</item>
/// <item>the conf.d files: RABBITMQ_CONFIG_FILES (a directory, or a pattern such as
/// <c>/etc/x/*.conf</c>), else <c>CONFIG_DIR/conf.d/*.conf</c>;</item>
/// <item>definitions: <c>CONFIG_DIR/definitions.json</c> when present and nothing else names a definitions file.</item>
/// </list>
/// CONFIG_DIR is <c>--config-dir</c> (BROKER_CONFIG_DIR). It has no default: the image sets it to
/// /etc/rabbitmq, and a broker run outside a container never reads a RabbitMQ installed beside it.
/// </summary>
internal static class ConfigurationFiles
{
    public const string DefinitionsFileName = "definitions.json";

    public static FileSettings Load(string? configFile, string? configDirectory, Func<string, string?> environment)
    {
        var settings = new FileSettings();
        var entries = new List<ConfigEntry>();
        foreach (var path in Locate(configFile, configDirectory, environment, settings))
        {
            settings.Files.Add(path);
            entries.AddRange(RabbitConfigFile.Read(path));
        }

        RabbitConfigMapping.Apply(entries, settings);
        if (configDirectory is not null && !settings.Options.ContainsKey("load-definitions"))
        {
            var definitions = Path.Combine(configDirectory, DefinitionsFileName);
            if (File.Exists(definitions))
            {
                // As the image would with management.load_definitions = /etc/rabbitmq/definitions.json.
                var entry = new ConfigEntry("load_definitions", definitions, new ConfigSource(definitions, 0));
                settings.Set("load-definitions", definitions, entry);
            }
        }

        return settings;
    }

    private static IEnumerable<string> Locate(string? configFile, string? configDirectory, Func<string, string?> environment, FileSettings settings)
    {
        if (configFile is not null)
        {
            yield return File.Exists(configFile) ? CheckFormat(configFile) : throw new ConfigurationException($"--config: no file '{configFile}'");
        }
        else if (environment("RABBITMQ_CONFIG_FILE") is { Length: > 0 } rabbitFile)
        {
            if (RabbitMqMainFile(rabbitFile) is { } found)
            {
                yield return found;
            }
            else
            {
                // RabbitMQ starts without a config file then; say so, since it is rarely meant.
                settings.Warnings.Add($"RABBITMQ_CONFIG_FILE: no file '{rabbitFile}' (nor with .conf): no main config file read");
            }
        }
        else if (configDirectory is not null && File.Exists(Path.Combine(configDirectory, "rabbitmq.conf")))
        {
            yield return Path.Combine(configDirectory, "rabbitmq.conf");
        }

        foreach (var path in AdditionalFiles(configDirectory, environment))
        {
            yield return CheckFormat(path);
        }
    }

    /// <summary>rabbit_prelaunch_conf: the name as given if it is a file, else NAME.conf.</summary>
    private static string? RabbitMqMainFile(string name)
    {
        if (File.Exists(name))
        {
            return CheckFormat(name);
        }

        if (File.Exists(name + ".config"))
        {
            CheckFormat(name + ".config");
        }

        return File.Exists(name + ".conf") ? name + ".conf" : null;
    }

    private static IEnumerable<string> AdditionalFiles(string? configDirectory, Func<string, string?> environment)
    {
        string directory;
        string pattern;
        if (environment("RABBITMQ_CONFIG_FILES") is { Length: > 0 } configured)
        {
            (directory, pattern) = Directory.Exists(configured)
                ? (configured, "*")
                : (Path.GetDirectoryName(configured) is { Length: > 0 } parent ? parent : ".", Path.GetFileName(configured));
        }
        else if (configDirectory is not null)
        {
            (directory, pattern) = (Path.Combine(configDirectory, "conf.d"), "*.conf");
        }
        else
        {
            return [];
        }

        return Directory.Exists(directory)
            ? Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal)
            : [];
    }

    /// <summary>The Erlang-term format (advanced.config, rabbitmq.config) is RabbitMQ's alone.</summary>
    private static string CheckFormat(string path) =>
        path.EndsWith(".config", StringComparison.Ordinal)
            ? throw new ConfigurationException($"{path}: Erlang-term config files are not supported; use the rabbitmq.conf format (key = value)")
            : path;
}
