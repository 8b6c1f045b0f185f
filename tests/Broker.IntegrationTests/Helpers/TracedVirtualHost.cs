using System.Net.Http.Headers;
using System.Net.Http.Json;
using Broker.Engine.Security;

namespace Broker.IntegrationTests.Helpers;

/// <summary>
/// A virtual host of a test's own, on the broker under test, whose tracing the test switches: on the
/// embedded broker through its engine, on an external one (RabbitMQ) through the management HTTP API
/// at BROKER_TEST_MANAGEMENT_URI (http://USER:PASSWORD@HOST:15672/). A vhost of its own keeps other
/// suites' traffic on a shared broker out of the trace. Deleted when disposed (external only: the
/// embedded broker goes with its fixture).
/// </summary>
public sealed class TracedVirtualHost : IAsyncDisposable
{
    public const string ManagementUriVariable = "BROKER_TEST_MANAGEMENT_URI";

    private readonly BrokerFixture _fixture;
    private readonly HttpClient? _http;

    private TracedVirtualHost(BrokerFixture fixture, string name, HttpClient? http)
    {
        _fixture = fixture;
        Name = name;
        _http = http;
    }

    public string Name { get; }

    /// <summary>
    /// Creates the vhost with the fixture's user allowed everything, tracing off. Null when the
    /// broker is external and no management URI is set: tracing cannot be switched then.
    /// </summary>
    public static async Task<TracedVirtualHost?> CreateAsync(BrokerFixture fixture)
    {
        var name = $"trace-{Guid.NewGuid():N}";
        var user = Uri.UnescapeDataString(fixture.Uri.UserInfo.Split(':')[0]);
        if (fixture.Embedded is { } embedded)
        {
            embedded.Engine.AddVirtualHost(name);
            embedded.Engine.Users.SetPermissions(user, name, Permissions.All);
            return new TracedVirtualHost(fixture, name, http: null);
        }

        if (Environment.GetEnvironmentVariable(ManagementUriVariable) is not { Length: > 0 } management)
        {
            return null;
        }

        var http = Client(new Uri(management));
        var vhost = new TracedVirtualHost(fixture, name, http);
        await vhost.SendAsync(HttpMethod.Put, $"api/vhosts/{name}", new { });
        await vhost.SendAsync(HttpMethod.Put, $"api/permissions/{name}/{Uri.EscapeDataString(user)}", new { configure = ".*", write = ".*", read = ".*" });
        return vhost;
    }

    /// <summary>trace_on / trace_off: PUT /api/vhosts/{name} with "tracing", or the engine's flag.</summary>
    public async Task SetTracingAsync(bool on)
    {
        if (_fixture.Embedded is { } embedded)
        {
            Assert.True(embedded.Engine.TryGetVirtualHost(Name, out var vhost));
            vhost.Tracing = on;
            return;
        }

        await SendAsync(HttpMethod.Put, $"api/vhosts/{Name}", new { tracing = on });
    }

    /// <summary>A connection factory for this vhost.</summary>
    public void Configure(RabbitMQ.Client.ConnectionFactory factory) => factory.VirtualHost = Name;

    public async ValueTask DisposeAsync()
    {
        if (_http is not null)
        {
            // RabbitMQ keeps a deleted vhost's name in its list of traced vhosts: take it out first.
            await SendAsync(HttpMethod.Put, $"api/vhosts/{Name}", new { tracing = false });
            using var response = await _http.DeleteAsync($"api/vhosts/{Name}");
            _http.Dispose();
        }
    }

    private static HttpClient Client(Uri management)
    {
        var credentials = management.UserInfo.Split(':');
        var client = new HttpClient { BaseAddress = new UriBuilder(management) { UserName = "", Password = "", Path = "/" }.Uri };
        var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.UnescapeDataString(credentials[0])}:{Uri.UnescapeDataString(credentials[1])}"));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        return client;
    }

    private async Task SendAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var response = await _http!.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
