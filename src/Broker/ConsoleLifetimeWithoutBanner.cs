using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Broker;

/// <summary>Stops the host on Ctrl+C and SIGTERM, without the generic host's startup chatter.</summary>
internal sealed class ConsoleLifetimeWithoutBanner : IHostLifetime, IDisposable
{
    private readonly IHostApplicationLifetime _lifetime;
    private PosixSignalRegistration? _sigterm;
    private PosixSignalRegistration? _sigint;

    public ConsoleLifetimeWithoutBanner(IHostApplicationLifetime lifetime)
    {
        _lifetime = lifetime;
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
        _lifetime.StopApplication();
    }
}
