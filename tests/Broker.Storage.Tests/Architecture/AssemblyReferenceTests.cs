using System.Reflection;
using Broker.DataModel.Encoding;
using Broker.Engine;

namespace Broker.Storage.Tests.Architecture;

/// <summary>
/// The engine and storage know AMQP's data model (field tables, message properties) but never its
/// framing or method structs: they must not use Broker.Protocol, Broker.Server or anything above them.
/// Compiled references list only the assemblies whose types a build actually uses, so this fails on
/// use, not on a stray project reference.
/// </summary>
public sealed class AssemblyReferenceTests
{
    [Fact]
    public void The_data_model_uses_no_other_broker_assembly() =>
        Assert.Empty(BrokerReferences(typeof(FieldTable).Assembly));

    [Fact]
    public void The_engine_uses_only_the_data_model() =>
        Assert.Equal(["Broker.DataModel"], BrokerReferences(typeof(BrokerEngine).Assembly));

    [Fact]
    public void Storage_uses_only_the_engine_and_the_data_model() =>
        Assert.Equal(["Broker.DataModel", "Broker.Engine"], BrokerReferences(typeof(DurableStorage).Assembly));

    private static List<string> BrokerReferences(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies()
            .Select(reference => reference.Name!)
            .Where(name => name.StartsWith("Broker", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
}
