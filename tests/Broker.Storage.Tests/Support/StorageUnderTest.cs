using Broker.Engine;
using Broker.Engine.Messages;
using Broker.Storage.Definitions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests.Support;

/// <summary>
/// A data directory opened as the composition root opens it (storage, an engine over its stores,
/// recovery, defaults for a fresh directory), without a server: what storage tests restart.
/// </summary>
internal sealed class StorageUnderTest : IDisposable
{
    private StorageUnderTest(DurableStorage storage, BrokerEngine engine)
    {
        Storage = storage;
        Engine = engine;
    }

    public DurableStorage Storage { get; }

    public BrokerEngine Engine { get; }

    /// <summary>What the stored definitions say now.</summary>
    public DefinitionsModel Definitions => Storage.Model;

    public static StorageUnderTest Open(string dataDirectory, EngineOptions options)
    {
        var pool = new MessagePool();
        var storage = DurableStorage.Open(dataDirectory, pool, NullLoggerFactory.Instance, "test");
        var engine = new BrokerEngine(options, storage.Messages, pool);
        var recovered = storage.Recover(engine);
        engine.Definitions = storage.Definitions;
        if (!recovered)
        {
            engine.CreateDefaults();
        }

        return new StorageUnderTest(storage, engine);
    }

    public void Dispose() => Storage.Dispose();
}
