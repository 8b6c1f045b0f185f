namespace Broker.Engine.Sessions;

/// <summary>
/// A client connection as the engine sees it: the owner of its exclusive queues and of its sessions.
/// The AMQP connection implements it; the engine only compares owners and names them.
/// </summary>
public interface IClientConnection
{
    /// <summary>How logs and reply texts name the connection (its peer address).</summary>
    string Name { get; }

    /// <summary>The user that logged in.</summary>
    string UserName { get; }
}
