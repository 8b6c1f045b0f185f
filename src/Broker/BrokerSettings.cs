using System.Globalization;
using System.Net;
using Broker.Configuration;
using Serilog.Events;

namespace Broker;

/// <summary>
/// Command-line options, each also readable from an environment variable (--data-dir is BROKER_DATA_DIR).
/// The command line wins over the environment, the environment over config files (see
/// <see cref="ConfigurationFiles"/>), as RabbitMQ's RABBITMQ_DEFAULT_USER wins over default_user.
/// </summary>
internal sealed class BrokerSettings
{
    public const string Usage = """
        broker: an AMQP 0-9-1 message broker compatible with RabbitMQ.

        broker admin COMMAND ... manages a running broker over its management API
        (broker admin --help lists the commands).
        broker probe [OPTIONS] exits 0 when the broker these options describe answers AMQP and
        HTTP, 1 otherwise (the image's health check).

        Options (each also as an environment variable, e.g. --data-dir is BROKER_DATA_DIR; RabbitMQ's
        image's RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS and RABBITMQ_DEFAULT_VHOST work too):
          --port N                AMQP port (default 5672; 0 picks a free port and logs it)
          --bind ADDR             address to listen on (default ::, which takes IPv6 and IPv4
                                  clients; 0.0.0.0 where the system has no IPv6)
          --management-port N     management HTTP API port (default 15672; 0 turns it off)
          --prometheus-port N     Prometheus metrics port (default 15692; 0 turns it off)
          --data-dir DIR          where the broker keeps its data (default ./data)
          --default-user NAME     user created at first start (default guest)
          --default-pass PASS     that user's password (default guest)
          --default-vhost NAME    vhost created at first start, where the default user may do
                                  everything (default /)
          --load-definitions FILE import vhosts, users, permissions, exchanges, queues and bindings
                                  from a RabbitMQ definitions file at every start; a fresh data
                                  directory then gets no default user or vhost
          --heartbeat SECONDS     heartbeat interval proposed to clients (default 60)
          --frame-max BYTES       largest frame accepted (default 131072)
          --channel-max N         channels per connection (default 2047)
          --max-message-size N    largest message body in bytes (default 134217728; 16777216
                                  with --compat 4)
          --consumer-timeout MS   close a channel (406) whose delivery waits longer for its ack
                                  (default 1800000, RabbitMQ's 30 minutes; 0 turns it off)
          --memory-high-watermark X
                                  block publishers above this much memory: a fraction of what the
                                  process may use (the container's limit if any), or bytes if > 1
                                  (default 0.4)
          --disk-free-limit BYTES block publishers when the data directory's disk has less free
                                  (default 50000000)
          --compat VERSION        RabbitMQ release to behave like where 3.13 and 4.x differ:
                                  3.13 (default) or 4 (see the README's compatibility profiles)
          --server-product NAME   "product" told to clients in connection.start (default Broker)
          --server-version V      "version" told to clients (default 3.13.7; 4.3.5 with --compat 4)
          --log-level LEVEL       verbose, debug, information (info), warning (warn), error,
                                  fatal (critical) (default information); the listening and
                                  ready lines are printed at every level
          --log-format FORMAT     text or json (one JSON object a line) (default text)
          --version               the broker's version
          --config FILE           a config file in RabbitMQ's rabbitmq.conf format (RABBITMQ_CONFIG_FILE
                                  works too); command-line options and variables override it
          --config-dir DIR        read DIR/rabbitmq.conf, DIR/conf.d/*.conf and DIR/definitions.json
                                  when present (the image's is /etc/rabbitmq)
          --help                  this text
        """;

    public int Port { get; private set; } = 5672;

    public IPAddress Bind { get; private set; } = IPAddress.IPv6Any;

    /// <summary>The management API's port; 0 is off.</summary>
    public int ManagementPort { get; private set; } = 15672;

    /// <summary>The Prometheus endpoint's port; 0 is off.</summary>
    public int PrometheusPort { get; private set; } = 15692;

    public string DataDirectory { get; private set; } = "data";

    public string DefaultUser { get; private set; } = "guest";

    public string DefaultPassword { get; private set; } = "guest";

    public string DefaultVirtualHost { get; private set; } = "/";

    public long ConsumerTimeoutMs { get; private set; } = 1_800_000;

    public string? DefinitionsFile { get; private set; }

    public ushort Heartbeat { get; private set; } = 60;

    public uint FrameMax { get; private set; } = 131072;

    public ushort ChannelMax { get; private set; } = 2047;

    /// <summary>Null: the compatibility profile's default.</summary>
    public long? MaxMessageSize { get; private set; }

    public Broker.Engine.CompatibilityProfile Compat { get; private set; } = Broker.Engine.CompatibilityProfile.RabbitMq313;

    public string? ServerProduct { get; private set; }

    public string? ServerVersion { get; private set; }

    public LogEventLevel LogLevel { get; private set; } = LogEventLevel.Information;

    public bool JsonLogs { get; private set; }

    public double MemoryHighWatermark { get; private set; } = 0.4;

    public long MemoryHighWatermarkBytes { get; private set; }

    public long DiskFreeLimit { get; private set; } = 50_000_000;

    public bool ShowHelp { get; private set; }

    public bool ShowVersion { get; private set; }

    /// <summary>Users who may connect only from loopback addresses (RabbitMQ's loopback_users).</summary>
    public IReadOnlyCollection<string> LoopbackUsers { get; private set; } = ["guest"];

    /// <summary>Where the management and Prometheus listeners bind when not where AMQP does (management.tcp.ip).</summary>
    public IPAddress? ManagementBind { get; private set; }

    /// <summary>The config files read and their warnings (unknown keys), to log once logging is set up.</summary>
    public FileSettings ConfigFiles { get; private set; } = new();

    public static BrokerSettings Parse(string[] args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variable, option) in RabbitMqVariables)
        {
            if (EnvironmentSecrets.Read(environment, variable) is { Length: > 0 } value)
            {
                values[option] = value;
            }
        }

        foreach (var name in Names)
        {
            if (environment("BROKER_" + name.Replace('-', '_').ToUpperInvariant()) is { Length: > 0 } value)
            {
                values[name] = value;
            }
        }

        var settings = new BrokerSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                settings.ShowHelp = true;
                continue;
            }

            if (arg == "--version")
            {
                settings.ShowVersion = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            string value;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (Array.IndexOf(Names, equals >= 0 ? name[..equals] : name) < 0)
            {
                throw new ArgumentException($"unknown option {(equals >= 0 ? arg[..(equals + 2)] : arg)}");
            }

            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else if (i + 1 < args.Length)
            {
                value = args[++i];
            }
            else
            {
                throw new ArgumentException($"option --{name} needs a value");
            }

            values[name] = value;
        }

        foreach (var (name, value) in values)
        {
            settings.Set(name, value);
        }

        settings.ApplyConfigFiles(ConfigurationFiles.Load(values.GetValueOrDefault("config"), values.GetValueOrDefault("config-dir"), environment), values);
        return settings;
    }

    private static readonly string[] Names =
        ["port", "bind", "data-dir", "default-user", "default-pass", "heartbeat", "frame-max", "channel-max", "max-message-size", "log-level",
            "memory-high-watermark", "disk-free-limit", "load-definitions", "default-vhost", "consumer-timeout", "management-port", "prometheus-port", "log-format",
            "config", "config-dir", "compat", "server-product", "server-version"];

    /// <summary>The variables of RabbitMQ's Docker image, so compose files written for it work unchanged.</summary>
    private static readonly (string Variable, string Option)[] RabbitMqVariables =
        [("RABBITMQ_DEFAULT_USER", "default-user"), ("RABBITMQ_DEFAULT_PASS", "default-pass"), ("RABBITMQ_DEFAULT_VHOST", "default-vhost")];

    private void Set(string name, string value)
    {
        switch (name)
        {
            case "port":
                Port = ParseNumber<int>(name, value, 0, 65535);
                break;
            case "management-port":
                ManagementPort = ParseNumber<int>(name, value, 0, 65535);
                break;
            case "prometheus-port":
                PrometheusPort = ParseNumber<int>(name, value, 0, 65535);
                break;
            case "bind":
                Bind = IPAddress.TryParse(value, out var address) ? address : throw new ArgumentException($"--bind: '{value}' is not an IP address");
                break;
            case "data-dir":
                DataDirectory = DataDirectoryChoice.Choose(value);
                break;
            case "config" or "config-dir":
                // Read by ConfigurationFiles once every option is known.
                break;
            case "default-user":
                DefaultUser = value;
                break;
            case "default-pass":
                DefaultPassword = value;
                break;
            case "consumer-timeout":
                ConsumerTimeoutMs = ParseNumber<long>(name, value, 0, int.MaxValue);
                break;
            case "default-vhost":
                DefaultVirtualHost = value;
                break;
            case "load-definitions":
                DefinitionsFile = File.Exists(value) ? value : throw new ArgumentException($"--load-definitions: no file '{value}'");
                break;
            case "heartbeat":
                Heartbeat = ParseNumber<ushort>(name, value, 0, ushort.MaxValue);
                break;
            case "frame-max":
                FrameMax = ParseNumber<uint>(name, value, 4096, uint.MaxValue);
                break;
            case "channel-max":
                ChannelMax = ParseNumber<ushort>(name, value, 1, ushort.MaxValue);
                break;
            case "max-message-size":
                MaxMessageSize = ParseNumber<long>(name, value, 1, int.MaxValue);
                break;
            case "memory-high-watermark":
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var watermark) || watermark <= 0)
                {
                    throw new ArgumentException($"--memory-high-watermark: '{value}' is neither a fraction nor a number of bytes");
                }

                if (watermark <= 1)
                {
                    MemoryHighWatermark = watermark;
                }
                else
                {
                    MemoryHighWatermarkBytes = (long)watermark;
                }

                break;
            case "disk-free-limit":
                DiskFreeLimit = ParseNumber<long>(name, value, 0, long.MaxValue);
                break;
            case "compat":
                Compat = Broker.Engine.CompatibilityProfile.TryParse(value, out var profile)
                    ? profile
                    : throw new ArgumentException($"--compat: '{value}' is not 3.13 or 4");
                break;
            case "server-product":
                ServerProduct = value;
                break;
            case "server-version":
                ServerVersion = value;
                break;
            case "log-level":
                LogLevel = ParseLevel(value);
                break;
            case "log-format":
                JsonLogs = value.ToLowerInvariant() switch
                {
                    "text" => false,
                    "json" => true,
                    _ => throw new ArgumentException($"--log-format: '{value}' is neither text nor json"),
                };
                break;
        }
    }

    /// <summary>Serilog's level names, and RabbitMQ's (info, critical) as its users type them; not numbers.</summary>
    private static LogEventLevel ParseLevel(string value) => value.ToLowerInvariant() switch
    {
        "verbose" or "trace" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "information" or "info" => LogEventLevel.Information,
        "warning" or "warn" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "fatal" or "critical" => LogEventLevel.Fatal,
        _ => throw new ArgumentException($"--log-level: '{value}' is not one of verbose, debug, information, warning, error, fatal"),
    };

    /// <summary>What the files set and no option or variable did; a value the options refuse names its line.</summary>
    private void ApplyConfigFiles(FileSettings files, Dictionary<string, string> given)
    {
        ConfigFiles = files;
        LoopbackUsers = files.LoopbackUsers ?? LoopbackUsers;
        ManagementBind = files.ManagementBind;
        foreach (var (name, option) in files.Options)
        {
            if (given.ContainsKey(name))
            {
                continue;
            }

            try
            {
                Set(name, option.Value);
            }
            catch (ArgumentException ex)
            {
                throw new ConfigurationException($"{option.Source}: {option.Key} = {option.Value}: {ex.Message}");
            }
        }
    }

    private static T ParseNumber<T>(string name, string value, T minimum, T maximum)
        where T : System.Numerics.INumber<T>
    {
        if (!T.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < minimum || number > maximum)
        {
            throw new ArgumentException($"--{name}: '{value}' is not a number from {minimum} to {maximum}");
        }

        return number;
    }
}
