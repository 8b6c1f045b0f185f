using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Engine;

namespace Broker.Storage.Definitions;

/// <summary>
/// Imports a definitions file, as RabbitMQ's <c>load_definitions</c> and <c>POST /api/definitions</c>
/// do: RabbitMQ's JSON (what <c>rabbitmqctl export_definitions</c> and the management API write, and
/// what our definitions.json holds). Vhosts (with their metadata), users (with their limits),
/// permissions, topic permissions, vhost limits and runtime parameters are created or overwritten;
/// exchanges, queues and bindings are declared unless they exist, so an import on every start is
/// harmless. The whole file is checked first (references, hashes, expressions, limits, and the
/// topology in a scratch engine): anything the broker would refuse throws
/// <see cref="InvalidDataException"/> naming the object, and nothing has changed.
/// </summary>
public static class DefinitionsImport
{
    public static JsonObject Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"definitions file {path}: not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"definitions file {path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Checks the whole file, then applies it; every change is recorded in the engine's definitions
    /// store. Returns what was imported, what was kept without effect and what was skipped.
    /// </summary>
    /// <param name="virtualHost">
    /// For one vhost's definitions (<c>POST /api/definitions/{vhost}</c>): where exchanges, queues,
    /// bindings and parameters go; users, vhosts and permissions in the file are not imported.
    /// </param>
    public static ImportSummary Apply(BrokerEngine engine, JsonObject json, string? virtualHost = null)
    {
        var plan = ImportPlan.Read(engine, json, virtualHost);
        ImportDryRun.Check(engine, plan);
        return plan.ApplyTo(engine);
    }
}
