using Broker;
using Broker.Cli;
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

if (settings.ShowHelp)
{
    Console.WriteLine(BrokerSettings.Usage);
    return 0;
}

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Is(settings.LogLevel)
    .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
    .Enrich.FromLogContext()
    .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
    .CreateLogger();

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
        ServerProduct = settings.ServerProduct,
        ServerVersion = settings.ServerVersion,
    },
};
if (settings.MaxMessageSize is { } maxMessageSize)
{
    options.Engine.MaxMessageSize = maxMessageSize;
}

Log.Information("broker {Version} starting, data in {DataDirectory}", options.ProductVersion, Path.GetFullPath(options.DataDirectory));
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
catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
{
    Log.Fatal("broker cannot start: {Reason}", ex.Message);
    await DisposeAsync(host);
    await Log.CloseAndFlushAsync();
    return 1;
}

try
{
    // Runs until SIGTERM or Ctrl+C; the host then stops the broker (320 to every connection, storage
    // synced) and disposes itself, the broker with it.
    await host.RunAsync();
    return 0;
}
catch (Exception ex)
{
    // The host may have failed before it ran the broker: what storage has pending is still written out
    // (disposing twice is harmless).
    Log.Fatal(ex, "broker failed");
    await runtime.DisposeAsync();
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
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
