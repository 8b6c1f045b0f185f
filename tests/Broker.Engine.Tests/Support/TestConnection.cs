using Broker.Engine.Sessions;

namespace Broker.Engine.Tests.Support;

/// <summary>A client connection for engine tests: an owner of exclusive queues and sessions, nothing more.</summary>
internal sealed class TestConnection(string name = "test-connection") : IClientConnection
{
    public string Name { get; } = name;

    public string UserName => "guest";
}
