using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>/api/health/checks/* and /api/aliveness-test: RabbitMQ's bodies, 200 when healthy and 503 when not.</summary>
public sealed class HealthTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\n but got {actual.ToJsonString()}");

    /// <summary>A port nothing listens on: one the OS just gave out and took back.</summary>
    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("api/health/checks/alarms")]
    [InlineData("api/health/checks/local-alarms")]
    [InlineData("api/health/checks/virtual-hosts")]
    public async Task Healthy_checks_answer_status_ok(string path)
    {
        AssertJson("""{"status":"ok"}""", await Admin.GetJsonAsync(path));
    }

    [Fact]
    public async Task Port_listener_on_the_amqp_port_is_ok()
    {
        var port = Fixture.AmqpUri.Port;

        AssertJson($$"""{"status":"ok","port":{{port}}}""", await Admin.GetJsonAsync(Path("health", "checks", "port-listener", port.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task Port_listener_on_an_unused_port_is_503_naming_the_ports_in_use()
    {
        var port = UnusedPort();

        var response = await Admin.GetAsync(Path("health", "checks", "port-listener", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        response.AssertStatus(503);
        var body = response.Json;
        Assert.Equal("failed", body["status"]!.GetValue<string>());
        Assert.Equal("No active listener", body["reason"]!.GetValue<string>());
        Assert.Equal(port, body["missing"]!.GetValue<int>());
        Assert.Contains(Fixture.AmqpUri.Port, body["ports"]!.AsArray().Select(p => p!.GetValue<int>()));
        Assert.Contains(Fixture.ManagementUri.Port, body["ports"]!.AsArray().Select(p => p!.GetValue<int>()));
    }

    [Fact]
    public async Task Port_listener_with_a_port_that_is_not_a_number_is_400()
    {
        (await Admin.GetAsync("api/health/checks/port-listener/abc")).AssertError(400, "bad_request", "Invalid port");
    }

    [Fact]
    public async Task Protocol_listener_amqp_is_ok_under_each_of_its_names()
    {
        AssertJson("""{"status":"ok","protocol":"amqp"}""", await Admin.GetJsonAsync("api/health/checks/protocol-listener/amqp"));
        AssertJson("""{"status":"ok","protocol":"amqp"}""", await Admin.GetJsonAsync("api/health/checks/protocol-listener/amqp091"));
    }

    [Fact]
    public async Task Protocol_listener_for_a_protocol_without_listener_is_503()
    {
        var response = await Admin.GetAsync("api/health/checks/protocol-listener/mqtt");

        response.AssertStatus(503);
        var body = response.Json;
        Assert.Equal("failed", body["status"]!.GetValue<string>());
        Assert.Equal("No active listener", body["reason"]!.GetValue<string>());
        Assert.Equal("mqtt", body["missing"]!.GetValue<string>());
        Assert.Contains("amqp", body["protocols"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains("http", body["protocols"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task Aliveness_test_is_ok_in_a_vhost_and_404_for_an_unknown_one()
    {
        var virtualHost = await CreateVirtualHostAsync();

        AssertJson("""{"status":"ok"}""", await Admin.GetJsonAsync(Path("aliveness-test", virtualHost)));
        (await Admin.GetAsync(Path("aliveness-test", UniqueName("novh")))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Theory]
    [InlineData("AMQP", "amqp")]
    [InlineData("amqp0-9-1", "amqp")]
    [InlineData("amqp0.9.1", "amqp")]
    [InlineData("management", "http")]
    [InlineData("http", "http")]
    public async Task Protocol_listener_takes_RabbitMQs_other_names_for_a_protocol(string name, string protocol)
    {
        AssertJson($$"""{"status":"ok","protocol":"{{protocol}}"}""", await Admin.GetJsonAsync(Path("health", "checks", "protocol-listener", name)));
    }

    [Fact]
    public async Task Protocol_listener_amqps_without_tls_is_503_missing_amqp_ssl()
    {
        var response = await Admin.GetAsync("api/health/checks/protocol-listener/amqps");

        response.AssertStatus(503);
        Assert.Equal("amqp/ssl", response.Json["missing"]!.GetValue<string>());
    }
}
