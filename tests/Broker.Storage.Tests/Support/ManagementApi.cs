using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Broker.Storage.Tests.Support;

/// <summary>
/// A RabbitMQ management API named by BROKER_TEST_MANAGEMENT_URI (http://user:password@host:port/):
/// tests that check our definitions against RabbitMQ itself run only when it is set.
/// </summary>
internal sealed class ManagementApi : IDisposable
{
    private readonly HttpClient _client;

    private ManagementApi(Uri uri)
    {
        _client = new HttpClient { BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/api/"), Timeout = TimeSpan.FromSeconds(30) };
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
    }

    /// <summary>The API, or null when the variable is not set (the test then returns: there is nothing to compare with).</summary>
    public static ManagementApi? FromEnvironment() =>
        Environment.GetEnvironmentVariable("BROKER_TEST_MANAGEMENT_URI") is { Length: > 0 } uri ? new ManagementApi(new Uri(uri)) : null;

    /// <summary>A path segment as the API wants it ("/" is %2F).</summary>
    public static string Segment(string name) => Uri.EscapeDataString(name);

    public async Task<JsonNode?> GetAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends a request and returns its status code (the body too, for a failure's message).</summary>
    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? user = null, string? password = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        using var response = await _client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task PutAsync(string path, JsonNode body)
    {
        var (status, text) = await SendAsync(HttpMethod.Put, path, body);
        Assert.True(status is HttpStatusCode.Created or HttpStatusCode.NoContent, $"PUT {path}: {(int)status} {text}");
    }

    public Task DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public void Dispose() => _client.Dispose();
}
