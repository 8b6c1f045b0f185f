using Broker.Engine.Sessions;

namespace Broker.Engine.Monitoring;

/// <summary>
/// An open client connection as operators see it: what it is, its channels, and a way to close it.
/// The transport implements it; the management API reaches connections only through it.
/// </summary>
public interface IManagedConnection : IClientConnection
{
    /// <summary>The vhost the connection opened.</summary>
    string? VirtualHostName { get; }

    /// <summary>A snapshot of the connection (read racily from its own thread's fields, as monitoring may).</summary>
    ConnectionInfo Describe();

    /// <summary>Adds a snapshot of each open channel to <paramref name="into"/>.</summary>
    void CopyChannels(List<ChannelInfo> into);

    /// <summary>Closes the connection with 320 CONNECTION_FORCED and <paramref name="reason"/> as the reply text.</summary>
    void CloseByOperator(string reason);

    /// <summary>Drops the connection without a close, as a network failure would (fault injection in tests).</summary>
    void Abort();
}
