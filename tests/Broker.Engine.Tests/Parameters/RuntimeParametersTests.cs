using Broker.Engine.Errors;
using Broker.Engine.Parameters;
using Broker.Engine.Stores;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Parameters;

/// <summary>Runtime and global parameters the broker keeps verbatim without using them.</summary>
public class RuntimeParametersTests
{
    private const string Upstream = """{"uri":"amqp://upstream","expires":3600000}""";

    [Fact]
    public void Parameters_are_kept_verbatim_listed_filtered_and_cleared()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();
        engine.AddVirtualHost("other");
        var parameters = engine.Parameters;

        Assert.False(parameters.Set("/", "federation-upstream", "up1", Upstream).IsError);
        Assert.False(parameters.Set("other", "federation-upstream", "up1", "{}").IsError);
        Assert.False(parameters.Set("/", "shovel", "move", "[1, 2.5, null]").IsError);
        Assert.False(parameters.Set("/", "federation-upstream", "up1", Upstream + " ").IsError);

        Assert.Equal(
            ["/ federation-upstream up1", "/ shovel move", "other federation-upstream up1"],
            parameters.List().Select(p => $"{p.VirtualHost} {p.Component} {p.Name}"));
        Assert.Equal(2, parameters.List(component: "federation-upstream").Count);
        Assert.Equal(["federation-upstream", "shovel"], parameters.List(virtualHost: "/").Select(p => p.Component));
        Assert.True(parameters.TryGet("/", "federation-upstream", "up1", out var up1));
        Assert.Equal(Upstream + " ", up1.Value);
        Assert.Equal("[1, 2.5, null]", parameters.List(component: "shovel").Single().Value);

        Assert.True(parameters.Clear("/", "federation-upstream", "up1"));
        Assert.False(parameters.Clear("/", "federation-upstream", "up1"));
        Assert.False(parameters.TryGet("/", "federation-upstream", "up1", out _));
    }

    [Fact]
    public void A_parameter_in_an_unknown_vhost_or_of_a_component_the_vhost_keeps_is_refused_and_not_recorded()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();

        Assert.Equal(ErrorKind.NotFound, engine.Parameters.Set("nowhere", "shovel", "s", "{}").Kind);
        Assert.Equal(ErrorKind.PreconditionFailed, engine.Parameters.Set("/", RuntimeParameters.VirtualHostLimitsComponent, "limits", "{}").Kind);
        Assert.Equal(ErrorKind.PreconditionFailed, engine.Parameters.Set("/", RuntimeParameters.OperatorPolicyComponent, "cap", "{}").Kind);

        Assert.Empty(engine.Parameters.List());
        Assert.Empty(store.Changes);
    }

    [Fact]
    public void Global_parameters_are_kept_verbatim_and_cleared()
    {
        var (engine, _) = RecordingDefinitionStore.Engine();

        engine.Parameters.SetGlobal("internal_cluster_id", "\"rabbitmq-cluster-id-x\"");
        engine.Parameters.SetGlobal("cluster_name", "\"rabbit@a\"");
        engine.Parameters.SetGlobal("cluster_name", "\"rabbit@b\"");

        Assert.Equal(["cluster_name", "internal_cluster_id"], engine.Parameters.ListGlobal().Select(p => p.Name));
        Assert.True(engine.Parameters.TryGetGlobal("cluster_name", out var name));
        Assert.Equal("\"rabbit@b\"", name.Value);
        Assert.True(engine.Parameters.ClearGlobal("cluster_name"));
        Assert.False(engine.Parameters.ClearGlobal("cluster_name"));
        Assert.Equal(["internal_cluster_id"], engine.Parameters.ListGlobal().Select(p => p.Name));
    }

    [Fact]
    public void Changes_are_recorded_in_order_and_forgetting_a_vhost_records_nothing()
    {
        var (engine, store) = RecordingDefinitionStore.Engine();
        engine.AddVirtualHost("gone");
        store.Clear();

        engine.Parameters.Set("gone", "shovel", "s", "{}");
        engine.Parameters.Clear("gone", "shovel", "s");
        engine.Parameters.Set("gone", "shovel", "t", "{}");
        engine.Parameters.SetGlobal("g", "1");
        engine.Parameters.ClearGlobal("g");
        engine.Parameters.ForgetVirtualHost("gone");

        Assert.Equal(
            [
                new ParameterSet("gone", "shovel", "s", "{}"),
                new ParameterCleared("gone", "shovel", "s"),
                new ParameterSet("gone", "shovel", "t", "{}"),
                new GlobalParameterSet("g", "1"),
                new GlobalParameterCleared("g"),
            ],
            store.Changes);
        Assert.Empty(engine.Parameters.List());
    }
}
