using Broker.Server.Hosting;
using Broker.Storage;
using Microsoft.Extensions.Hosting;

namespace Broker;

/// <summary>
/// Runs the broker for the generic host: recovers storage and starts listening; on stop closes
/// connections gracefully (320), then writes out and syncs what storage has pending.
/// </summary>
internal sealed class BrokerHostedService : IHostedService
{
    private readonly BrokerServer _server;
    private readonly DurableStorage _storage;

    public BrokerHostedService(BrokerServer server, DurableStorage storage)
    {
        _server = server;
        _storage = storage;
    }

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _server.StopAsync(TimeSpan.FromSeconds(5));
        _storage.Dispose();
    }
}
