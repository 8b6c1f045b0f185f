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

        // For benchmarks: what the run allocated (the publish/deliver/ack path should add nothing).
        Serilog.Log.Information(
            "broker stopped: {AllocatedBytes} bytes allocated, {Gen0} gen0, {Gen1} gen1, {Gen2} gen2 collections",
            GC.GetTotalAllocatedBytes(precise: true),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2));
    }
}
