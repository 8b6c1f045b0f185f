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

try
{
    Directory.CreateDirectory(settings.DataDirectory);
    var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
    builder.Services.AddSerilog();
    builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
    builder.Services.AddSingleton(provider => DurableStorage.Open(
        settings.DataDirectory,
        new EngineOptions
        {
            DefaultUser = settings.DefaultUser,
            DefaultPassword = settings.DefaultPassword,
            MaxMessageSize = settings.MaxMessageSize,
        },
        provider.GetRequiredService<ILoggerFactory>(),
        typeof(BrokerServer).Assembly.GetName().Version?.ToString() ?? "0"));
    builder.Services.AddSingleton(provider => new BrokerServer(
        provider.GetRequiredService<DurableStorage>().Engine,
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
            DataDirectory = settings.DataDirectory,
        },
        provider.GetRequiredService<ILoggerFactory>()));
    builder.Services.AddHostedService<BrokerHostedService>();
    builder.Services.AddSingleton<IHostLifetime, ConsoleLifetimeWithoutBanner>();

    Log.Information("broker {Version} starting, data in {DataDirectory}", typeof(BrokerServer).Assembly.GetName().Version, Path.GetFullPath(settings.DataDirectory));
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
    await Log.CloseAndFlushAsync();
}
