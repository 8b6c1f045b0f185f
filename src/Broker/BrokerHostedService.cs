using Broker.Server.Hosting;
using Microsoft.Extensions.Hosting;

namespace Broker;

/// <summary>Runs the broker for the generic host: starts it, and closes connections gracefully on stop.</summary>
internal sealed class BrokerHostedService : IHostedService
{
    private readonly BrokerServer _server;

    public BrokerHostedService(BrokerServer server)
    {
        _server = server;
    }

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(TimeSpan.FromSeconds(5));
}
