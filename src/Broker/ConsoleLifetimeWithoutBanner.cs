using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker;

/// <summary>Stops the host on Ctrl+C and SIGTERM, without the generic host's startup chatter.</summary>
internal sealed class ConsoleLifetimeWithoutBanner : IHostLifetime, IDisposable
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private PosixSignalRegistration? _sigterm;
    private PosixSignalRegistration? _sigint;

    public ConsoleLifetimeWithoutBanner(IHostApplicationLifetime lifetime, ILoggerFactory loggerFactory)
    {
        _lifetime = lifetime;
        _logger = loggerFactory.CreateLogger("Broker");
    }

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _sigterm?.Dispose();
        _sigint?.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        SignalLog.ShuttingDown(_logger, context.Signal.ToString());
        _lifetime.StopApplication();
    }
}

internal static partial class SignalLog
{
    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "{Signal} received: shutting down")]
    public static partial void ShuttingDown(ILogger logger, string signal);
}
