using Broker.Engine.Sessions;

namespace Broker.Storage.Tests.Support;

/// <summary>A client connection for storage tests: an owner of exclusive queues, nothing more.</summary>
internal sealed class TestConnection : IClientConnection
{
    public string Name => "test-connection";

    public string UserName => "guest";
}
