using System.Net;
using Broker.Hosting;
using Broker.Management.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Management;

/// <summary>
/// The management HTTP API and the Prometheus endpoint: two small Kestrel applications on their own
/// ports, started after the broker and stopped before it. Requests reach the engine only through its
/// snapshots and admin commands.
/// </summary>
public sealed class ManagementServer : IHostedService, IAsyncDisposable
{
    private readonly BrokerRuntime _runtime;
    private readonly ManagementOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WebApplication? _api;
    private WebApplication? _metrics;
    private RateSampler? _sampler;

    public ManagementServer(BrokerRuntime runtime, ManagementOptions options, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Broker.Management");
    }

    /// <summary>The management API's port once started (0 when it is off).</summary>
    public int Port { get; private set; }

    /// <summary>The Prometheus endpoint's port once started (0 when it is off).</summary>
    public int PrometheusPort { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = _runtime.Engine;
        var address = _options.BindAddress ?? _runtime.Server.Options.BindAddress;
        _sampler = new RateSampler(engine, _options.SampleInterval);
        ManagementApi? api = null;
        if (_options.Port is { } port)
        {
            api = new ManagementApi(_runtime, _sampler, _loggerFactory);
            _api = Build(address, port, api.HandleAsync);
            await _api.StartAsync(cancellationToken);
            Port = BoundPort(_api);
            api.Context.ManagementPort = Port;
            Log.Listening(_logger, "management API", $"http://{Format(address)}:{Port}");
        }

        if (_options.PrometheusPort is { } metricsPort)
        {
            var metrics = new PrometheusEndpoint(_runtime, _sampler);
            _metrics = Build(address, metricsPort, metrics.HandleAsync);
            await _metrics.StartAsync(cancellationToken);
            PrometheusPort = BoundPort(_metrics);
            if (api is not null)
            {
                api.Context.PrometheusPort = PrometheusPort;
            }

            Log.Listening(_logger, "Prometheus metrics", $"http://{Format(address)}:{PrometheusPort}/metrics");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_api is not null)
        {
            await _api.StopAsync(cancellationToken);
        }

        if (_metrics is not null)
        {
            await _metrics.StopAsync(cancellationToken);
        }

        _sampler?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_metrics is not null)
        {
            await _metrics.DisposeAsync();
        }

        _sampler?.Dispose();
    }

    private WebApplication Build(IPAddress address, int port, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port);
        });
        var app = builder.Build();
        app.Run(handler);
        return app;
    }

    private static int BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        foreach (var address in addresses)
        {
            return new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        }

        return 0;
    }

    private static string Format(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

internal static partial class Log
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "{What} listening on {Address}")]
    public static partial void Listening(ILogger logger, string what, string address);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "management API request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);
}
