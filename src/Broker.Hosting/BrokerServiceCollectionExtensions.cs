using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Broker.Hosting;

/// <summary>The composition root: the one place a broker is put together.</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a broker: its <see cref="BrokerRuntime"/> (storage, engine, AMQP server) as a hosted service.
    /// Needs an <c>ILoggerFactory</c> (the generic host has one). Components that run beside the broker
    /// (management, metrics) register on the returned builder and start after it.
    /// </summary>
    public static BrokerBuilder AddBroker(this IServiceCollection services, BrokerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<BrokerRuntime>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<BrokerRuntime>());
        return new BrokerBuilder(services, options);
    }
}

/// <summary>What <see cref="BrokerServiceCollectionExtensions.AddBroker"/> returns, for components to plug in.</summary>
public sealed class BrokerBuilder(IServiceCollection services, BrokerOptions options)
{
    public IServiceCollection Services { get; } = services;

    public BrokerOptions Options { get; } = options;
}
