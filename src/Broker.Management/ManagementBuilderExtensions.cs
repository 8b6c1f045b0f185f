using Broker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Broker.Management;

public static class ManagementBuilderExtensions
{
    /// <summary>
    /// Adds the management HTTP API and the Prometheus endpoint beside the broker. They start after the
    /// broker (hosted services start in the order they were added) and stop before it.
    /// </summary>
    public static BrokerBuilder AddManagement(this BrokerBuilder builder, ManagementOptions options)
    {
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ManagementServer>();
        builder.Services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<ManagementServer>());
        return builder;
    }
}
