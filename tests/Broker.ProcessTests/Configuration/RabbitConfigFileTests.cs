using System.Net;
using Broker.Configuration;
using Serilog.Events;

namespace Broker.ProcessTests.Configuration;

/// <summary>
/// The rabbitmq.conf reader: every supported key onto the broker's settings, RabbitMQ's units, where
/// the files are found and in which order, what wins over what, and a malformed file's one-line error.
/// </summary>
public sealed class RabbitConfigFileTests : IDisposable
{
    private readonly ConfigDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Every_supported_key_reaches_the_settings()
    {
        var definitions = _dir.Write("defs/mine.json", "{}");
        _dir.Write("rabbitmq.conf", $"""
            # a comment line
            default_user = app
            default_pass = s3cret
            default_vhost = orders
            loopback_users.guest = false
            loopback_users.admin = true
            listeners.tcp.default = 127.0.0.1:5680   # trailing comment
            management.tcp.port = 15680
            management.tcp.ip = 127.0.0.2
            prometheus.tcp.port = 15690
            management.load_definitions = {definitions}
            vm_memory_high_watermark.relative = 0.6
            disk_free_limit.absolute = 2GB
            consumer_timeout = 900000
            heartbeat = 30
            frame_max = 65536
            channel_max = 100
            max_message_size = 1048576
            log.console.level = warning
            """);

        var settings = Parse();

        Assert.Equal("app", settings.DefaultUser);
        Assert.Equal("s3cret", settings.DefaultPassword);
        Assert.Equal("orders", settings.DefaultVirtualHost);
        Assert.Equal(["admin"], settings.LoopbackUsers);
        Assert.Equal(IPAddress.Parse("127.0.0.1"), settings.Bind);
        Assert.Equal(5680, settings.Port);
        Assert.Equal(15680, settings.ManagementPort);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), settings.ManagementBind);
        Assert.Equal(15690, settings.PrometheusPort);
        Assert.Equal(definitions, settings.DefinitionsFile);
        Assert.Equal(0.6, settings.MemoryHighWatermark);
        Assert.Equal(2_000_000_000, settings.DiskFreeLimit);
        Assert.Equal(900_000, settings.ConsumerTimeoutMs);
        Assert.Equal(30, settings.Heartbeat);
        Assert.Equal(65536u, settings.FrameMax);
        Assert.Equal(100, settings.ChannelMax);
        Assert.Equal(1_048_576, settings.MaxMessageSize);
        Assert.Equal(LogEventLevel.Warning, settings.LogLevel);
        Assert.Empty(settings.ConfigFiles.Warnings);
        Assert.Equal([Path.Combine(_dir.Path, "rabbitmq.conf")], settings.ConfigFiles.Files);
    }

    [Fact]
    public void Nothing_is_read_without_a_config_file_or_directory()
    {
        var settings = BrokerSettings.Parse([], _ => null);

        Assert.Empty(settings.ConfigFiles.Files);
        Assert.Equal("guest", settings.DefaultUser);
        Assert.Equal(["guest"], settings.LoopbackUsers);
        Assert.Equal(5672, settings.Port);
    }

    [Theory]
    [InlineData("1048576", 1_048_576L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("2gb", 2_000_000_000L)]
    [InlineData("1kB", 1_000L)]
    [InlineData("1k", 1_024L)]
    [InlineData("512MiB", 536_870_912L)]
    [InlineData("1GiB", 1_073_741_824L)]
    [InlineData("3M", 3_145_728L)]
    [InlineData("1TB", 1_000_000_000_000L)]
    public void Sizes_take_RabbitMQs_units(string text, long bytes)
    {
        _dir.Write("rabbitmq.conf", $"disk_free_limit.absolute = {text}\nvm_memory_high_watermark.absolute = {text}\n");

        var settings = Parse();

        Assert.Equal(bytes, settings.DiskFreeLimit);
        Assert.Equal(bytes, settings.MemoryHighWatermarkBytes);
    }

    [Theory]
    [InlineData("frame_max = 128KB", 131072u)]
    [InlineData("frame_max = 1MB", 1048576u)]
    [InlineData("frame_max = 4096", 4096u)]
    public void Frame_max_is_cuttlefishs_bytesize(string line, uint expected) =>
        Assert.Equal(expected, ParseWith(line).FrameMax);

    [Fact]
    public void The_relative_watermark_wins_over_the_absolute_one_in_any_order()
    {
        Assert.Equal(0.5, ParseWith("vm_memory_high_watermark.absolute = 1GB\nvm_memory_high_watermark.relative = 0.5").MemoryHighWatermark);
        var settings = ParseWith("vm_memory_high_watermark.relative = 0.5\nvm_memory_high_watermark.absolute = 1GB");
        Assert.Equal(0.5, settings.MemoryHighWatermark);
        Assert.Equal(0, settings.MemoryHighWatermarkBytes);
    }

    [Theory]
    [InlineData("default_pass = a#b", "a")]
    [InlineData("default_pass = 'a#b'", "'a")]
    [InlineData("default_pass = 'quoted'", "'quoted'")]
    [InlineData("default_pass =   spaced out   # comment", "spaced out")]
    public void A_hash_always_starts_a_comment_and_quotes_are_kept_as_RabbitMQ_reads_them(string line, string password) =>
        Assert.Equal(password, ParseWith(line).DefaultPassword);

    [Fact]
    public void Channel_max_0_is_no_limit()
    {
        Assert.Equal(ushort.MaxValue, ParseWith("channel_max = 0").ChannelMax);
    }

    [Theory]
    [InlineData("debug", LogEventLevel.Debug)]
    [InlineData("info", LogEventLevel.Information)]
    [InlineData("notice", LogEventLevel.Information)]
    [InlineData("error", LogEventLevel.Error)]
    [InlineData("critical", LogEventLevel.Fatal)]
    [InlineData("none", LogEventLevel.Fatal)]
    public void Log_levels_are_RabbitMQs(string level, LogEventLevel expected) =>
        Assert.Equal(expected, ParseWith($"log.console.level = {level}").LogLevel);

    [Theory]
    [InlineData("listeners.tcp.default = 5673", null, 5673)]
    [InlineData("listeners.tcp.default = 127.0.0.1:5673", "127.0.0.1", 5673)]
    [InlineData("listeners.tcp.default = ::1:5673", "::1", 5673)]
    [InlineData("listeners.tcp.default = [::1]:5673", "::1", 5673)]
    [InlineData("listeners.tcp.1 = 0.0.0.0:5674\nlisteners.tcp.2 = :::5674", "::", 5674)]
    [InlineData("listeners.tcp.other = 127.0.0.1:5675", "127.0.0.1", 5675)]
    public void A_listener_is_a_port_or_an_address_and_port(string lines, string? address, int port)
    {
        var settings = ParseWith(lines);

        // A port alone keeps the default address.
        Assert.Equal(address is null ? BrokerSettings.Parse([], _ => null).Bind : IPAddress.Parse(address), settings.Bind);
        Assert.Equal(port, settings.Port);
        Assert.Empty(settings.ConfigFiles.Warnings);
    }

    [Fact]
    public void Listeners_beyond_the_first_are_reported_and_ignored()
    {
        var settings = ParseWith("listeners.tcp.default = 127.0.0.1:5680\nlisteners.tcp.other = 127.0.0.1:5681");

        Assert.Equal(5680, settings.Port);
        Assert.Equal([$"{Conf}:2: listeners.tcp.other ignored: the broker has one AMQP listener (listeners.tcp.default)"], settings.ConfigFiles.Warnings);
    }

    [Theory]
    [InlineData("loopback_users = none", new string[0])]
    [InlineData("loopback_users.guest = false", new string[0])]
    [InlineData("loopback_users.guest = true", new[] { "guest" })]
    [InlineData("loopback_users.ops = true", new[] { "guest", "ops" })]
    public void Loopback_users_follow_rabbit_schema(string line, string[] users) =>
        Assert.Equal(users, ParseWith(line).LoopbackUsers.Order());

    [Fact]
    public void Conf_d_files_are_read_after_the_main_file_in_name_order_and_the_last_wins()
    {
        _dir.Write("rabbitmq.conf", "heartbeat = 10\nchannel_max = 10\nframe_max = 8192");
        _dir.Write("conf.d/20-late.conf", "heartbeat = 30");
        _dir.Write("conf.d/10-early.conf", "heartbeat = 20\nchannel_max = 20");
        _dir.Write("conf.d/notes.txt", "this is not a config file");

        var settings = Parse();

        Assert.Equal(30, settings.Heartbeat);
        Assert.Equal(20, settings.ChannelMax);
        Assert.Equal(8192u, settings.FrameMax);
        Assert.Equal([Path.Combine(_dir.Path, "rabbitmq.conf"), Path.Combine(_dir.Path, "conf.d", "10-early.conf"), Path.Combine(_dir.Path, "conf.d", "20-late.conf")], settings.ConfigFiles.Files);
    }

    [Fact]
    public void The_command_line_wins_over_variables_and_variables_over_the_file()
    {
        _dir.Write("rabbitmq.conf", "default_user = from-file\ndefault_vhost = file-vhost\nheartbeat = 10\nchannel_max = 10");
        var environment = new Dictionary<string, string>
        {
            ["BROKER_CONFIG_DIR"] = _dir.Path,
            ["RABBITMQ_DEFAULT_USER"] = "from-env",
            ["BROKER_HEARTBEAT"] = "20",
        };

        var settings = BrokerSettings.Parse(["--heartbeat", "30"], name => environment.GetValueOrDefault(name));

        Assert.Equal("from-env", settings.DefaultUser);
        Assert.Equal("file-vhost", settings.DefaultVirtualHost);
        Assert.Equal(30, settings.Heartbeat);
        Assert.Equal(10, settings.ChannelMax);
    }

    [Fact]
    public void Unknown_keys_are_reported_once_each()
    {
        _dir.Write("rabbitmq.conf", "cluster_formation.peer_discovery_backend = classic_config\nmystery = 1\nmystery = 2");
        _dir.Write("conf.d/10.conf", "mystery = 3");

        var settings = Parse();

        Assert.Equal(
            [$"{Conf}:1: unknown or unsupported config key 'cluster_formation.peer_discovery_backend' ignored", $"{Conf}:2: unknown or unsupported config key 'mystery' ignored"],
            settings.ConfigFiles.Warnings);
    }

    [Theory]
    [InlineData("heartbeat 30", "2: expected 'key = value', found 'heartbeat 30'")]
    [InlineData("heart beat = 30", "2: 'heart beat' is not a config key")]
    [InlineData("= 30", "2: '' is not a config key")]
    [InlineData("heartbeat =", "2: heartbeat: no value after '='")]
    [InlineData("heartbeat = # nothing", "2: heartbeat: no value after '='")]
    [InlineData("heartbeat = thirty", "2: heartbeat: 'thirty' is not a whole number from 0 to 65535")]
    [InlineData("heartbeat = 70000", "2: heartbeat: '70000' is not a whole number from 0 to 65535")]
    [InlineData("consumer_timeout = 0", "2: consumer_timeout: '0' is not a whole number from 1 to 2147483647")]
    [InlineData("max_message_size = 600000000", "2: max_message_size: '600000000' is not a whole number from 1 to 536870912")]
    [InlineData("frame_max = 100", "2: frame_max = 100: --frame-max: '100' is not a number from 4096 to 4294967295")]
    [InlineData("frame_max = big", "2: frame_max: 'big' is not a size in bytes (or with KB, MB, GB)")]
    [InlineData("disk_free_limit.absolute = 2 GB", "2: disk_free_limit.absolute: '2 GB' is not a size")]
    [InlineData("disk_free_limit.absolute = 2PB", "2: disk_free_limit.absolute: '2PB' is not a size")]
    [InlineData("vm_memory_high_watermark.relative = 1.5", "2: vm_memory_high_watermark.relative: '1.5' is not a fraction")]
    [InlineData("listeners.tcp.default = 70000", "2: listeners.tcp.default: '70000' is not a whole number from 1 to 65535")]
    [InlineData("listeners.tcp.default = localhost:5672", "2: listeners.tcp.default: 'localhost:5672' is neither a port nor IP:PORT")]
    [InlineData("management.tcp.ip = somewhere", "2: management.tcp.ip: 'somewhere' is not an IP address")]
    [InlineData("loopback_users.guest = no", "2: loopback_users.guest: 'no' is neither true nor false")]
    [InlineData("loopback_users = guest", "2: loopback_users: 'guest' is not 'none'")]
    [InlineData("log.console.level = loud", "2: log.console.level: 'loud' is not one of debug, info")]
    [InlineData("load_definitions = /nonexistent/defs.json", "2: load_definitions = /nonexistent/defs.json: --load-definitions: no file '/nonexistent/defs.json'")]
    public void A_malformed_line_is_one_error_naming_the_file_and_line(string line, string message)
    {
        _dir.Write("rabbitmq.conf", $"# first line\n{line}\n");

        var error = Assert.Throws<ConfigurationException>(Parse);

        Assert.StartsWith($"{Conf}:{message}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Rabbitmq_config_file_names_the_file_with_or_without_its_extension()
    {
        var path = _dir.Write("custom.conf", "heartbeat = 25");

        Assert.Equal(25, ParseEnvironment(("RABBITMQ_CONFIG_FILE", path)).Heartbeat);
        Assert.Equal(25, ParseEnvironment(("RABBITMQ_CONFIG_FILE", path[..^".conf".Length])).Heartbeat);
        var missing = ParseEnvironment(("RABBITMQ_CONFIG_FILE", Path.Combine(_dir.Path, "absent")));
        Assert.Equal(60, missing.Heartbeat);
        Assert.Contains("RABBITMQ_CONFIG_FILE: no file", Assert.Single(missing.ConfigFiles.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void The_config_option_replaces_the_directorys_main_file_and_must_exist()
    {
        _dir.Write("rabbitmq.conf", "heartbeat = 10");
        _dir.Write("conf.d/10.conf", "channel_max = 10");
        var path = _dir.Write("other/custom.conf", "heartbeat = 20");

        var settings = BrokerSettings.Parse(["--config", path, "--config-dir", _dir.Path], _ => null);

        Assert.Equal(20, settings.Heartbeat);
        Assert.Equal(10, settings.ChannelMax);
        var error = Assert.Throws<ConfigurationException>(() => BrokerSettings.Parse(["--config", path + ".missing"], _ => null));
        Assert.Equal($"--config: no file '{path}.missing'", error.Message);
    }

    [Fact]
    public void Erlang_term_config_files_are_refused()
    {
        var path = _dir.Write("advanced.config", "[].");

        var error = Assert.Throws<ConfigurationException>(() => BrokerSettings.Parse(["--config", path], _ => null));

        Assert.StartsWith($"{path}: Erlang-term config files are not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rabbitmq_config_files_names_the_extra_files()
    {
        _dir.Write("extra/a.conf", "heartbeat = 11");
        _dir.Write("extra/b.conf", "heartbeat = 12");

        Assert.Equal(12, ParseEnvironment(("RABBITMQ_CONFIG_FILES", Path.Combine(_dir.Path, "extra"))).Heartbeat);
        Assert.Equal(11, ParseEnvironment(("RABBITMQ_CONFIG_FILES", Path.Combine(_dir.Path, "extra", "a*"))).Heartbeat);
    }

    [Fact]
    public void Definitions_json_in_the_directory_is_loaded_unless_a_definitions_file_is_named()
    {
        var inDirectory = _dir.Write("definitions.json", "{}");
        Assert.Equal(inDirectory, Parse().DefinitionsFile);

        var named = _dir.Write("other.json", "{}");
        _dir.Write("rabbitmq.conf", $"load_definitions = {named}");
        Assert.Equal(named, Parse().DefinitionsFile);
    }

    [Fact]
    public void Default_user_and_password_may_come_from_secret_files()
    {
        var user = _dir.Write("secrets/user", "app\n");
        var password = _dir.Write("secrets/pass", "p@ss word\r\n");

        var settings = ParseEnvironment(("RABBITMQ_DEFAULT_USER_FILE", user), ("RABBITMQ_DEFAULT_PASS_FILE", password));

        Assert.Equal("app", settings.DefaultUser);
        Assert.Equal("p@ss word", settings.DefaultPassword);
        var both = Assert.Throws<ConfigurationException>(() => ParseEnvironment(("RABBITMQ_DEFAULT_USER_FILE", user), ("RABBITMQ_DEFAULT_USER", "x")));
        Assert.Equal("both RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_USER_FILE are set: use one", both.Message);
        var unreadable = Assert.Throws<ConfigurationException>(() => ParseEnvironment(("RABBITMQ_DEFAULT_PASS_FILE", user + ".missing")));
        Assert.StartsWith("RABBITMQ_DEFAULT_PASS_FILE: cannot read", unreadable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_data_directory_is_the_first_of_a_list_that_is_a_mount_point_else_the_last()
    {
        var first = Directory.CreateDirectory(Path.Combine(_dir.Path, "data")).FullName;
        var last = Path.Combine(_dir.Path, "var-lib-rabbitmq");
        var separator = Path.PathSeparator;

        Assert.Equal(last, BrokerSettings.Parse(["--data-dir", $"{first}{separator}{last}"], _ => null).DataDirectory);

        // "/" is a mount point wherever /proc/self/mountinfo exists (as a volume is in a container).
        Assert.Equal("/", BrokerSettings.Parse(["--data-dir", $"{first}{separator}/{separator}{last}"], _ => null).DataDirectory);
        Assert.Equal(first, BrokerSettings.Parse(["--data-dir", first], _ => null).DataDirectory);
    }

    private string Conf => Path.Combine(_dir.Path, "rabbitmq.conf");

    private BrokerSettings Parse() => ParseEnvironment(("BROKER_CONFIG_DIR", _dir.Path));

    private BrokerSettings ParseWith(string text)
    {
        _dir.Write("rabbitmq.conf", text);
        return Parse();
    }

    private static BrokerSettings ParseEnvironment(params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(v => v.Name, v => v.Value);
        return BrokerSettings.Parse([], name => environment.GetValueOrDefault(name));
    }
}
