using System.Net;
using Broker.Hosting;
using Broker.Management.Metrics;
using Broker.Management.Ui;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Management;

/// <summary>
/// The management HTTP API and the Prometheus endpoint: one small Kestrel application listening on
/// both ports, started after the broker and stopped before it. Requests reach the engine only through its
/// snapshots and admin commands.
/// </summary>
public sealed class ManagementServer : IHostedService, IAsyncDisposable
{
    private readonly BrokerRuntime _runtime;
    private readonly ManagementOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _lifecycle;
    private WebApplication? _app;
    private RateSampler? _sampler;

    public ManagementServer(BrokerRuntime runtime, ManagementOptions options, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _options = options;
        _loggerFactory = loggerFactory;
        _lifecycle = loggerFactory.CreateLogger(LifecycleLog.Category);
    }

    /// <summary>The management API's port once started (0 when it is off).</summary>
    public int Port { get; private set; }

    /// <summary>The Prometheus endpoint's port once started (0 when it is off).</summary>
    public int PrometheusPort { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Port is null && _options.PrometheusPort is null)
        {
            return;
        }

        var engine = _runtime.Engine;
        // Where AMQP listens (its [::] falls back to 0.0.0.0 without IPv6); Kestrel makes [::] dual-stack.
        var address = _options.BindAddress ?? _runtime.Server.EndPoint?.Address ?? _runtime.Server.Options.BindAddress;
        _sampler = new RateSampler(engine, _options.SampleInterval);
        var api = _options.Port is null ? null : new ManagementApi(_runtime, _sampler, _loggerFactory);
        var ui = _options.Port is null ? null : new WebUi();
        var metrics = _options.PrometheusPort is null ? null : new PrometheusEndpoint(_runtime, _sampler);

        // One Kestrel server for both ports (half the start-up of two); a request's local port says which it is for.
        ListenOptions? apiListener = null;
        ListenOptions? metricsListener = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (_options.Port is { } port)
            {
                kestrel.Listen(address, port, listen => apiListener = listen);
            }

            if (_options.PrometheusPort is { } metricsPort)
            {
                kestrel.Listen(address, metricsPort, listen => metricsListener = listen);
            }
        });
        _app = builder.Build();
        _app.Run(context => metrics is not null && context.Connection.LocalPort == PrometheusPort
            ? metrics.HandleAsync(context)
            : api is null || ui is null ? NotFound(context)
            : context.Request.Path.StartsWithSegments("/api") ? api.HandleAsync(context)
            : ui.HandleAsync(context));
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            // Kestrel's "Failed to bind to address http://...:PORT: address already in use.", said once,
            // naming the listener, for the executable's one line.
            var which = _options.PrometheusPort is { } metricsPort && ex.Message.Contains($":{metricsPort}:", StringComparison.Ordinal) ? "Prometheus metrics" : "the management API";
            throw new IOException($"cannot listen for {which}: {ex.Message}", ex);
        }

        Port = apiListener?.IPEndPoint?.Port ?? 0;
        PrometheusPort = metricsListener?.IPEndPoint?.Port ?? 0;
        if (api is not null)
        {
            api.Context.ManagementPort = Port;
            api.Context.PrometheusPort = PrometheusPort;
            LifecycleLog.ComponentListening(_lifecycle, "management API", $"http://{Format(address)}:{Port}");
        }

        if (metrics is not null)
        {
            LifecycleLog.ComponentListening(_lifecycle, "Prometheus metrics", $"http://{Format(address)}:{PrometheusPort}/metrics");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }

        _sampler?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _sampler?.Dispose();
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private static string Format(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

internal static partial class Log
{
    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "management API request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);
}
