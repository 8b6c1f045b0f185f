namespace Broker.Testing;

public sealed partial class EmbeddedBroker
{
    /// <summary>The reply text of the 320 CONNECTION_FORCED that <see cref="ResetAsync"/> closes connections with.</summary>
    public const string ResetCloseReason = "broker forced connection closure with reason 'reset'";

    /// <summary>
    /// Brings the broker back to what it was just after its first start, in one call and in
    /// milliseconds: open connections are closed with 320 CONNECTION_FORCED (<see cref="ResetCloseReason"/>),
    /// then every virtual host (with its queues, messages, exchanges, bindings, policies, limits and
    /// parameters), every user and every global parameter is deleted, alarms raised by hand are cleared,
    /// and the defaults are made again: the default user and virtual host, or what the definitions of
    /// the options say. Logged errors are kept (<see cref="TakeErrors"/>); the clock is not turned back.
    /// Use it between tests that share one broker one after another; tests running in parallel take a
    /// virtual host each instead (<see cref="CreateVirtualHostAsync"/>).
    /// </summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ThrowIfStopped();
            var runtime = Runtime;
            await runtime.Server.CloseAllConnectionsAsync(ResetCloseReason, TimeSpan.FromSeconds(5));
            var engine = runtime.Engine;
            foreach (var virtualHost in engine.VirtualHosts.ToArray())
            {
                engine.DeleteVirtualHost(virtualHost.Name);
            }

            foreach (var user in engine.Users.Users.ToArray())
            {
                engine.DeleteUser(user.Name);
            }

            foreach (var parameter in engine.Parameters.ListGlobal())
            {
                engine.Parameters.ClearGlobal(parameter.Name);
            }

            engine.Alarms.RaiseMemory(false);
            engine.Alarms.RaiseDisk(false);
            runtime.RecreateStartState();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Creates a virtual host for one test, so tests running in parallel on one broker never see each
    /// other's queues, exchanges or messages. The default user gets all permissions on it; the handle's
    /// <see cref="TestVirtualHost.AmqpUri"/> connects to it. Disposing the handle deletes the virtual
    /// host with everything in it (its connections are closed with 320, as RabbitMQ does).
    /// </summary>
    /// <param name="name">The name; by default "test-" and 12 random hex digits.</param>
    /// <example>
    /// <code>
    /// await using var vhost = await broker.CreateVirtualHostAsync();
    /// var factory = new ConnectionFactory { Uri = vhost.AmqpUri };
    /// </code>
    /// </example>
    public Task<TestVirtualHost> CreateVirtualHostAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfStopped();
        name ??= "test-" + Guid.NewGuid().ToString("N")[..12];
        var engine = Engine;
        if (engine.TryGetVirtualHost(name, out _))
        {
            throw new InvalidOperationException($"virtual host '{name}' already exists");
        }

        engine.AddVirtualHost(name);
        if (engine.Users.TryGet(Options.User, out _))
        {
            engine.Users.SetPermissions(Options.User, name, Broker.Engine.Security.Permissions.All);
        }

        return Task.FromResult(new TestVirtualHost(this, name, UriFor(name)));
    }

    /// <summary>Deletes a virtual host and everything in it, closing its connections with 320; false when there is none.</summary>
    public Task<bool> DeleteVirtualHostAsync(string name) => Task.FromResult(!_stopped && Engine.DeleteVirtualHost(name));

    private void ThrowIfStopped()
    {
        if (_stopped)
        {
            throw new InvalidOperationException("the broker is stopped");
        }
    }
}
