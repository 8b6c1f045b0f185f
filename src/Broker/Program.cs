using Broker;
using Broker.Engine;
using Broker.Server.Hosting;
using Broker.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;

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

Log.Information("broker {Version} starting, data in {DataDirectory}", typeof(BrokerServer).Assembly.GetName().Version, Path.GetFullPath(settings.DataDirectory));
DurableStorage storage;
{
    // Lives as long as the process: storage keeps the loggers it creates.
    var storageLoggerFactory = new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger);
    try
    {
        // Opened before the host, so a data directory in use or a definitions file that cannot be
        // applied ends the start with one clear line instead of the host's stack trace.
        Directory.CreateDirectory(settings.DataDirectory);
        storage = DurableStorage.Open(
            settings.DataDirectory,
            new EngineOptions
            {
                DefaultUser = settings.DefaultUser,
                DefaultPassword = settings.DefaultPassword,
                DefaultVirtualHost = settings.DefaultVirtualHost,
                MaxMessageSize = settings.MaxMessageSize,
            },
            storageLoggerFactory,
            typeof(BrokerServer).Assembly.GetName().Version?.ToString() ?? "0",
            settings.DefinitionsFile);
    }
    catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
    {
        Log.Fatal("broker cannot start: {Reason}", ex.Message);
        await Log.CloseAndFlushAsync();
        return 1;
    }
}

try
{
    var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
    builder.Services.AddSerilog();
    builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
    builder.Services.AddSingleton(storage);
    builder.Services.AddSingleton(provider => new BrokerServer(
        storage.Engine,
        new ServerOptions
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
            DataDirectory = settings.DataDirectory,
        },
        provider.GetRequiredService<ILoggerFactory>()));
    builder.Services.AddHostedService<BrokerHostedService>();
    builder.Services.AddSingleton<IHostLifetime, ConsoleLifetimeWithoutBanner>();

    await builder.Build().RunAsync();
    return 0;
}
catch (Exception ex)
{
    Log.Fatal(ex, "broker failed");
    return 1;
}
finally
{
    // Idempotent: also when the host failed to start, what storage has pending is written out.
    storage.Dispose();
    await Log.CloseAndFlushAsync();
}
