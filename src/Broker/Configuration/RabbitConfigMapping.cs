using System.Globalization;
using System.Net;

namespace Broker.Configuration;

/// <summary>
/// The rabbitmq.conf keys the broker understands (rabbit.schema and the management and Prometheus
/// plugins' schemas), mapped onto its command-line options. A value of the wrong type stops the start
/// with the file and line; a key the broker does not know is reported once and ignored.
/// </summary>
internal static class RabbitConfigMapping
{
    /// <summary>Applies the entries in order (a later line or file overrides an earlier one, as cuttlefish merges files).</summary>
    public static void Apply(IEnumerable<ConfigEntry> entries, FileSettings settings)
    {
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var listeners = new SortedDictionary<string, (IPAddress? Address, int Port, ConfigEntry Entry)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!TryApply(entry, settings, listeners) && warned.Add(entry.Key))
            {
                settings.Warnings.Add($"{entry.Source}: unknown or unsupported config key '{entry.Key}' ignored");
            }
        }

        ApplyListeners(listeners, settings);
    }

    private static bool TryApply(ConfigEntry entry, FileSettings settings, IDictionary<string, (IPAddress?, int, ConfigEntry)> listeners)
    {
        var value = entry.Value;
        switch (entry.Key)
        {
            case "default_user":
                settings.Set("default-user", value, entry);
                return true;
            case "default_pass":
                settings.Set("default-pass", value, entry);
                return true;
            case "default_vhost":
                settings.Set("default-vhost", value, entry);
                return true;
            case "loopback_users":
                // Only "none" is a value of the bare key: no user is restricted to loopback.
                settings.LoopbackUsers = value == "none" ? [] : throw Invalid(entry, "is not 'none' (name users with loopback_users.NAME = true|false)");
                return true;
            case "management.tcp.port":
                settings.Set("management-port", Port(entry).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "prometheus.tcp.port":
                settings.Set("prometheus-port", Port(entry).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "management.tcp.ip" or "prometheus.tcp.ip":
                settings.ManagementBind = Address(entry);
                return true;
            case "load_definitions" or "management.load_definitions" or "definitions.local.path":
                settings.Set("load-definitions", value, entry);
                return true;
            case "vm_memory_high_watermark.relative":
                // RabbitMQ takes the relative value when both are set.
                settings.Set("memory-high-watermark", Fraction(entry).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "vm_memory_high_watermark.absolute":
                if (!settings.Options.TryGetValue("memory-high-watermark", out var set) || set.Key != "vm_memory_high_watermark.relative")
                {
                    settings.Set("memory-high-watermark", Bytes(entry, minimum: 2).ToString(CultureInfo.InvariantCulture), entry);
                }

                return true;
            case "disk_free_limit.absolute":
                settings.Set("disk-free-limit", Bytes(entry, minimum: 0).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "consumer_timeout":
                settings.Set("consumer-timeout", Integer(entry, 1, int.MaxValue).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "heartbeat":
                settings.Set("heartbeat", Integer(entry, 0, ushort.MaxValue).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "frame_max":
                settings.Set("frame-max", FrameMax(entry).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "channel_max":
                // 0 is "no limit" in RabbitMQ: the protocol's largest channel number.
                var channels = Integer(entry, 0, ushort.MaxValue);
                settings.Set("channel-max", (channels == 0 ? ushort.MaxValue : channels).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "max_message_size":
                // rabbit.schema's validator: 1 byte to 512 MiB.
                settings.Set("max-message-size", Integer(entry, 1, 512 * 1024 * 1024).ToString(CultureInfo.InvariantCulture), entry);
                return true;
            case "log.console.level":
                settings.Set("log-level", LogLevel(entry), entry);
                return true;
        }

        if (entry.Key.StartsWith("loopback_users.", StringComparison.Ordinal))
        {
            var user = entry.Key["loopback_users.".Length..];
            var users = settings.LoopbackUsers ??= ["guest"];
            users.Remove(user);
            if (Boolean(entry))
            {
                users.Add(user);
            }

            return true;
        }

        if (entry.Key.StartsWith("listeners.tcp.", StringComparison.Ordinal))
        {
            var (address, port) = Listener(entry);
            listeners[entry.Key["listeners.tcp.".Length..]] = (address, port, entry);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The broker has one AMQP listener: listeners.tcp.default, else the only one given. Two
    /// wildcard listeners on one port (0.0.0.0 and ::, a common pair) are the dual-stack [::].
    /// </summary>
    private static void ApplyListeners(SortedDictionary<string, (IPAddress? Address, int Port, ConfigEntry Entry)> listeners, FileSettings settings)
    {
        if (listeners.Count == 0)
        {
            return;
        }

        var chosen = listeners.TryGetValue("default", out var named) ? named : listeners.First().Value;
        if (listeners.Count > 1)
        {
            var allWildcards = listeners.Values.All(l => l.Port == chosen.Port && (l.Address is null || l.Address.Equals(IPAddress.Any) || l.Address.Equals(IPAddress.IPv6Any)));
            if (allWildcards)
            {
                chosen = (IPAddress.IPv6Any, chosen.Port, chosen.Entry);
            }
            else
            {
                foreach (var other in listeners.Values.Where(l => l.Entry != chosen.Entry))
                {
                    settings.Warnings.Add($"{other.Entry.Source}: {other.Entry.Key} ignored: the broker has one AMQP listener ({chosen.Entry.Key})");
                }
            }
        }

        settings.Set("port", chosen.Port.ToString(CultureInfo.InvariantCulture), chosen.Entry);
        if (chosen.Address is not null)
        {
            settings.Set("bind", chosen.Address.ToString(), chosen.Entry);
        }
    }

    /// <summary>"5672", "127.0.0.1:5672", "::1:5672" or "[::1]:5672" (cuttlefish's ip datatype splits at the last colon).</summary>
    private static (IPAddress? Address, int Port) Listener(ConfigEntry entry)
    {
        var value = entry.Value;
        var colon = value.LastIndexOf(':');
        if (colon < 0)
        {
            return (null, Port(entry));
        }

        var host = value[..colon].Trim('[', ']');
        if (!IPAddress.TryParse(host, out var address)
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw Invalid(entry, "is neither a port nor IP:PORT");
        }

        return (address, port);
    }

    private static int Port(ConfigEntry entry) => (int)Integer(entry, 1, 65535);

    private static IPAddress Address(ConfigEntry entry) =>
        IPAddress.TryParse(entry.Value, out var address) ? address : throw Invalid(entry, "is not an IP address");

    private static long Integer(ConfigEntry entry, long minimum, long maximum) =>
        long.TryParse(entry.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= minimum && number <= maximum
            ? number
            : throw Invalid(entry, $"is not a whole number from {minimum} to {maximum}");

    private static double Fraction(ConfigEntry entry) =>
        double.TryParse(entry.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction > 0 && fraction <= 1
            ? fraction
            : throw Invalid(entry, "is not a fraction above 0 and at most 1 (e.g. 0.6)");

    private static long Bytes(ConfigEntry entry, long minimum) =>
        ByteSize.TryParse(entry.Value, out var bytes) && bytes >= minimum
            ? bytes
            : throw Invalid(entry, "is not a size (bytes, or a number with a unit: 500MB, 2GB, 1GiB, 512MiB)");

    /// <summary>cuttlefish's bytesize datatype: bytes, or KB, MB, GB in powers of 1024.</summary>
    private static long FrameMax(ConfigEntry entry)
    {
        var value = entry.Value;
        long factor = 1;
        foreach (var (suffix, multiplier) in (ReadOnlySpan<(string, long)>)[("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30)])
        {
            if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                value = value[..^suffix.Length];
                factor = multiplier;
                break;
            }
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= uint.MaxValue / factor
            ? number * factor
            : throw Invalid(entry, "is not a size in bytes (or with KB, MB, GB)");
    }

    private static bool Boolean(ConfigEntry entry) => entry.Value switch
    {
        "true" => true,
        "false" => false,
        _ => throw Invalid(entry, "is neither true nor false"),
    };

    /// <summary>RabbitMQ's levels onto Serilog's: notice is information, critical and above are fatal, none shows only what every level shows.</summary>
    private static string LogLevel(ConfigEntry entry) => entry.Value switch
    {
        "debug" => "debug",
        "info" or "notice" => "information",
        "warning" => "warning",
        "error" => "error",
        "critical" or "alert" or "emergency" or "none" => "fatal",
        _ => throw Invalid(entry, "is not one of debug, info, notice, warning, error, critical, alert, emergency, none"),
    };

    private static ConfigurationException Invalid(ConfigEntry entry, string problem) =>
        new($"{entry.Source}: {entry.Key}: '{entry.Value}' {problem}");
}
