using Broker.Engine.Monitoring;

namespace Broker.Testing;

/// <summary>A resource alarm that blocks publishers while it is on (RabbitMQ's memory and disk alarms).</summary>
public enum BrokerAlarm
{
    /// <summary>The memory high watermark alarm: connection.blocked reason "low on memory".</summary>
    Memory,

    /// <summary>The free disk space alarm: connection.blocked reason "low on disk space".</summary>
    Disk,
}

/// <summary>An open client connection: what tests name it by.</summary>
/// <param name="Name">The broker's name for it, "127.0.0.1:50412 -> 127.0.0.1:5672", as RabbitMQ names connections.</param>
/// <param name="ClientProvidedName">The client's connection_name property (RabbitMQ.Client's <c>ClientProvidedName</c>), if it gave one.</param>
/// <param name="VirtualHost">The virtual host it opened.</param>
/// <param name="User">The user it logged in as.</param>
/// <param name="Channels">Channels open on it.</param>
public sealed record ConnectionSummary(string Name, string? ClientProvidedName, string VirtualHost, string User, int Channels);

public sealed partial class EmbeddedBroker
{
    private static readonly TimeSpan ConnectionLookupGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The open client connections (past connection.open). A client may return from its connect a
    /// moment before the broker has handled connection.open: open a channel first to be sure it is listed.
    /// </summary>
    public Task<IReadOnlyList<ConnectionSummary>> GetConnectionsAsync()
    {
        var summaries = new List<ConnectionSummary>();
        foreach (var connection in OpenConnections())
        {
            var info = connection.Describe();
            summaries.Add(new ConnectionSummary(info.Name, info.UserProvidedName, info.VirtualHost, info.User, info.Channels));
        }

        return Task.FromResult<IReadOnlyList<ConnectionSummary>>(summaries);
    }

    /// <summary>
    /// Closes the connections named <paramref name="connectionName"/> from the broker's side, as an
    /// operator does in RabbitMQ's management UI: the client gets connection.close 320
    /// CONNECTION_FORCED with <paramref name="reason"/>, and a client with automatic recovery reconnects.
    /// The name is the client-provided one (RabbitMQ.Client's <c>ClientProvidedName</c>) or the broker's
    /// ("127.0.0.1:50412 -> 127.0.0.1:5672"). Returns how many were closed; throws when none has that
    /// name, listing the names there are.
    /// </summary>
    public Task<int> CloseConnectionAsync(string connectionName, string reason = "Closed via management plugin", CancellationToken cancellationToken = default) =>
        ForEachNamedAsync(connectionName, connection => connection.CloseByOperator(reason), cancellationToken);

    /// <summary>
    /// Drops the connections named <paramref name="connectionName"/> without a close, as a network
    /// failure would: the client's socket just ends. Returns how many; throws when none has that name.
    /// </summary>
    public Task<int> DropConnectionAsync(string connectionName, CancellationToken cancellationToken = default) =>
        ForEachNamedAsync(connectionName, static connection => connection.Abort(), cancellationToken);

    /// <summary>
    /// Raises a resource alarm whatever memory or disk use is: publishing connections get
    /// connection.blocked (if they asked for it in their capabilities, as RabbitMQ.Client does) and are
    /// no longer read until it is cleared. It stays on until <see cref="ClearAlarm"/> or <see cref="ResetAsync"/>.
    /// </summary>
    public void RaiseAlarm(BrokerAlarm alarm) => SetAlarm(alarm, true);

    /// <summary>Clears an alarm raised by <see cref="RaiseAlarm"/>: blocked connections get connection.unblocked and publishing goes on.</summary>
    public void ClearAlarm(BrokerAlarm alarm) => SetAlarm(alarm, false);

    /// <summary>
    /// Restarts the broker in place, as a crash-free restart of the server would: connections are
    /// closed with 320 CONNECTION_FORCED ("shutdown"), storage is synced, and a new broker starts on
    /// the same data directory and port, recovering durable queues, persistent messages and
    /// definitions. Clients with automatic recovery reconnect to the same <see cref="AmqpUri"/>.
    /// <see cref="Engine"/> is a new object afterwards.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ThrowIfStopped();
            await _running.StopAsync();
            await _running.DisposeAsync();
            try
            {
                _running = await RunningBroker.StartAsync(_brokerOptions, _managementOptions, _errors, cancellationToken);
            }
            catch
            {
                _stopped = true;
                throw;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private void SetAlarm(BrokerAlarm alarm, bool active)
    {
        var alarms = Engine.Alarms;
        switch (alarm)
        {
            case BrokerAlarm.Memory:
                alarms.RaiseMemory(active);
                break;
            case BrokerAlarm.Disk:
                alarms.RaiseDisk(active);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(alarm), alarm, "not an alarm");
        }
    }

    private List<IManagedConnection> OpenConnections()
    {
        var connections = new List<IManagedConnection>();
        if (!_stopped)
        {
            Engine.Clients.CopyTo(connections);
        }

        return connections;
    }

    /// <summary>
    /// A client may return from its connect a moment before the broker has handled connection.open
    /// (RabbitMQ.Client does): a name not seen yet is looked for again for up to two seconds.
    /// </summary>
    private async Task<int> ForEachNamedAsync(string connectionName, Action<IManagedConnection> action, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ConnectionLookupGrace;
        while (true)
        {
            var matched = 0;
            var names = new List<string>();
            foreach (var connection in OpenConnections())
            {
                var info = connection.Describe();
                if (info.Name == connectionName || info.UserProvidedName == connectionName)
                {
                    action(connection);
                    matched++;
                }
                else
                {
                    names.Add(info.UserProvidedName is null ? info.Name : $"{info.UserProvidedName} ({info.Name})");
                }
            }

            if (matched > 0)
            {
                return matched;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"no open connection is named '{connectionName}'; open: {(names.Count == 0 ? "none" : string.Join(", ", names))}");
            }

            await Task.Delay(10, cancellationToken);
        }
    }
}
