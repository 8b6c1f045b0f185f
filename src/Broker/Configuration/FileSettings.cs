using System.Net;

namespace Broker.Configuration;

/// <summary>A broker option set by a config file: the option's name and value, and the line it came from.</summary>
internal sealed record FileOption(string Option, string Value, string Key, ConfigSource Source);

/// <summary>What the config files say, in the broker's terms, for <see cref="BrokerSettings"/> to apply below the command line and environment.</summary>
internal sealed class FileSettings
{
    /// <summary>Values of command-line options (by option name, e.g. "heartbeat"), the last file's last line winning.</summary>
    public Dictionary<string, FileOption> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>loopback_users, when a file set it; null keeps the default ([guest]).</summary>
    public List<string>? LoopbackUsers { get; set; }

    /// <summary>management.tcp.ip (or prometheus.tcp.ip): where the HTTP listeners bind, when not where AMQP does.</summary>
    public IPAddress? ManagementBind { get; set; }

    /// <summary>Warnings to log once logging is set up: each unknown or unsupported key once.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The files read, in order.</summary>
    public List<string> Files { get; } = [];

    public void Set(string option, string value, ConfigEntry entry) =>
        Options[option] = new FileOption(option, value, entry.Key, entry.Source);
}
