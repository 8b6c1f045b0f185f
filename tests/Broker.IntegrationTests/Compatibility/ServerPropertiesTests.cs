using System.Text;
using Broker.Testing;
using RabbitMQ.Client;

namespace Broker.IntegrationTests.Compatibility;

/// <summary>
/// connection.start's product and version (always an embedded broker: RabbitMQ names itself): ours and
/// the profile's RabbitMQ version by default, whatever the options say otherwise.
/// </summary>
public sealed class ServerPropertiesTests
{
    [Theory]
    [InlineData("3.13", "3.13.7")]
    [InlineData("4", "4.3.5")]
    public async Task By_default_the_product_is_ours_and_the_version_is_the_profiles(string compat, string version)
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { Compat = compat });
        var properties = await ServerPropertiesAsync(broker);

        Assert.Equal(("Broker", version), (Text(properties["product"]), Text(properties["version"])));
        Assert.True(properties.ContainsKey("broker_version"));
        Assert.Empty(broker.Errors);
    }

    [Fact]
    public async Task Product_and_version_can_be_set()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { Compat = "4", ServerProduct = "RabbitMQ", ServerVersion = "4.0.9" });
        var properties = await ServerPropertiesAsync(broker);

        Assert.Equal(("RabbitMQ", "4.0.9"), (Text(properties["product"]), Text(properties["version"])));
    }

    [Fact]
    public async Task An_unknown_profile_is_refused()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { Compat = "4.0" }));
        Assert.Contains("'4.0' is not 3.13 or 4", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<IDictionary<string, object?>> ServerPropertiesAsync(EmbeddedBroker broker)
    {
        await using var connection = await new ConnectionFactory { Uri = broker.AmqpUri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
        return connection.ServerProperties!;
    }

    private static string Text(object? value) => value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString() ?? "";
}
