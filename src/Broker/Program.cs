using Broker;
using Broker.Cli;
using Broker.Configuration;
using Broker.Engine;
using Broker.Hosting;
using Broker.Management;
using Broker.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

// `broker admin ...` is the command-line tool over the management API, not a broker: it takes none of
// the broker's options and starts nothing.
if (args.Length > 0 && args[0] == "admin")
{
    return await CliApp.RunAsync(args[1..], Console.Out, Console.Error);
}

// `broker probe`: the image's health check, reading the same options, variables and config files.
if (args.Length > 0 && args[0] == "probe")
{
    return await HealthProbe.RunAsync(args[1..], Environment.GetEnvironmentVariable, Console.Out, Console.Error);
}

BrokerSettings settings;
try
{
    settings = BrokerSettings.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"broker: {ex.Message}");
    Console.Error.WriteLine(BrokerSettings.Usage);
    return 2;
}
catch (ConfigurationException ex)
{
    Console.Error.WriteLine($"broker: {ex.Message}");
    return 1;
}

if (settings.ShowHelp)
{
    Console.WriteLine(BrokerSettings.Usage);
    return 0;
}

if (settings.ShowVersion)
{
    Console.WriteLine($"broker {new BrokerOptions().ProductVersion}");
    return 0;
}

var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
Log.Logger = BrokerLogging.Create(settings);

var options = new BrokerOptions
{
    DataDirectory = settings.DataDirectory,
    DefinitionsFile = settings.DefinitionsFile,
    Engine = new EngineOptions
    {
        DefaultUser = settings.DefaultUser,
        DefaultPassword = settings.DefaultPassword,
        DefaultVirtualHost = settings.DefaultVirtualHost,
        Compat = settings.Compat,
    },
    Server = new ServerOptions
    {
        Port = settings.Port,
        BindAddress = settings.Bind,
        Heartbeat = settings.Heartbeat,
        FrameMax = settings.FrameMax,
        ChannelMax = settings.ChannelMax,
        MemoryHighWatermark = settings.MemoryHighWatermark,
        MemoryHighWatermarkBytes = settings.MemoryHighWatermarkBytes,
        DiskFreeLimit = settings.DiskFreeLimit,
        ConsumerTimeout = TimeSpan.FromMilliseconds(settings.ConsumerTimeoutMs),
        LoopbackUsers = settings.LoopbackUsers,
        ServerProduct = settings.ServerProduct,
        ServerVersion = settings.ServerVersion,
    },
};
if (settings.MaxMessageSize is { } maxMessageSize)
{
    options.Engine.MaxMessageSize = maxMessageSize;
}

Log.Information("broker {Version} starting, data in {DataDirectory}", options.ProductVersion, Path.GetFullPath(options.DataDirectory));
ConfigFileLog.Write(settings.ConfigFiles);
if (settings.Compat != CompatibilityProfile.RabbitMq313)
{
    Log.Information("compatibility profile {Compat}: behaving like RabbitMQ {RabbitMqVersion} where 3.13 and 4.x differ", settings.Compat.Name, settings.Compat.RabbitMqVersion);
}

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
builder.Services.AddSerilog();
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
builder.Services.AddBroker(options).AddManagement(new ManagementOptions
{
    Port = settings.ManagementPort == 0 ? null : settings.ManagementPort,
    PrometheusPort = settings.PrometheusPort == 0 ? null : settings.PrometheusPort,
    BindAddress = settings.ManagementBind,
});

builder.Services.AddSingleton<IHostLifetime, ConsoleLifetimeWithoutBanner>();
var host = builder.Build();
var runtime = host.Services.GetRequiredService<BrokerRuntime>();
try
{
    // Opened before the host starts, so a data directory in use or a definitions file that cannot be
    // applied ends the start with one clear line instead of the host's stack trace.
    runtime.Open();
}
catch (Exception ex)
{
    return await CannotStartAsync(host, ex, stop: false);
}

try
{
    await host.StartAsync();
}
catch (Exception ex)
{
    // A port in use, an address not on this machine; what already started is stopped.
    return await CannotStartAsync(host, ex, stop: true);
}

LifecycleLog.StartupComplete(
    host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger(LifecycleLog.Category),
    options.ProductVersion,
    (long)System.Diagnostics.Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds);

try
{
    // Runs until SIGTERM or Ctrl+C; the host then stops the broker (320 to every connection, storage
    // synced), and disposing it disposes the broker.
    await host.WaitForShutdownAsync();
    await DisposeAsync(host);
    return 0;
}
catch (Exception ex)
{
    // Stopping failed: what storage has pending is still written out (disposing twice is harmless).
    Log.Fatal(ex, "broker failed");
    await runtime.DisposeAsync();
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

// A failed start is one line and exit code 1, never a stack trace (that is logged at debug level).
static async Task<int> CannotStartAsync(IHost host, Exception exception, bool stop)
{
    Log.Debug(exception, "start-up failure");
    Log.Fatal("broker cannot start: {Reason}", StartupFailure.Describe(exception));
    if (stop)
    {
        await host.StopAsync();
    }

    await DisposeAsync(host);
    await Log.CloseAndFlushAsync();
    return 1;
}

static async ValueTask DisposeAsync(IHost host)
{
    if (host is IAsyncDisposable asyncHost)
    {
        await asyncHost.DisposeAsync();
    }
    else
    {
        host.Dispose();
    }
}
