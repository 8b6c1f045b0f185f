namespace Broker.Server.Connections;

internal enum ConnectionState : byte
{
    AwaitingProtocolHeader,
    AwaitingStartOk,
    AwaitingTuneOk,
    AwaitingOpen,
    Open,

    /// <summary>We sent connection.close; only close-ok (or the peer's own close) matters now.</summary>
    Closing,

    Closed,
}
