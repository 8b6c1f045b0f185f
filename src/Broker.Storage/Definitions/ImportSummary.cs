namespace Broker.Storage.Definitions;

/// <summary>What a definitions import added or changed, and what it kept or skipped without effect.</summary>
public sealed record ImportSummary
{
    public int VirtualHosts { get; init; }

    public int Users { get; init; }

    public int Permissions { get; init; }

    public int TopicPermissions { get; init; }

    /// <summary>Vhosts and users whose limits the file set.</summary>
    public int Limits { get; init; }

    /// <summary>Runtime parameters and global parameters kept (all of them without effect, see <see cref="KeptUnused"/>).</summary>
    public int Parameters { get; init; }

    /// <summary>Policies set (added or replaced).</summary>
    public int Policies { get; init; }

    /// <summary>Operator policies set (parameters of component operator_policy).</summary>
    public int OperatorPolicies { get; init; }

    /// <summary>Exchanges, queues and bindings created (existing ones are left as they are).</summary>
    public int Exchanges { get; init; }

    public int Queues { get; init; }

    public int Bindings { get; init; }

    /// <summary>
    /// Kept, exported again, but not acted on: runtime parameters of components the broker does not
    /// run (federation-upstream, shovel, ...) and global parameters. One line each, naming the object.
    /// </summary>
    public IReadOnlyList<string> KeptUnused { get; init; } = [];

    /// <summary>Objects RabbitMQ's import also skips: exchanges and queues named amq.*, the default exchange.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    /// <summary>Sections the import did not take (unknown ones; broker-wide ones in a vhost's import); empty when none.</summary>
    public string Ignored { get; init; } = string.Empty;
}
