using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Broker.ManagementTests.Helpers;

/// <summary>One answer of the management API: status, headers and body, with assertions on them.</summary>
public sealed class ApiResponse(int status, string body, HttpResponseHeaders headers, HttpContentHeaders contentHeaders, string request)
{
    public int Status { get; } = status;

    public string Body { get; } = body;

    public HttpResponseHeaders Headers { get; } = headers;

    public HttpContentHeaders ContentHeaders { get; } = contentHeaders;

    /// <summary>The body as JSON (fails the test when it is not).</summary>
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new Xunit.Sdk.XunitException($"{request}: the body is JSON null");

    public ApiResponse AssertStatus(int expected)
    {
        if (Status != expected)
        {
            throw new Xunit.Sdk.XunitException($"{request}: expected {expected} but got {Status} {Body}");
        }

        return this;
    }

    /// <summary>Asserts RabbitMQ's error answer: the status and a body of exactly {"error":..., "reason":...}.</summary>
    public void AssertError(int status, string error, string reason) => AssertError(status, error, JsonValue.Create(reason));

    /// <summary>As <see cref="AssertError(int,string,string)"/> for a reason that is not a string (an Erlang term, e.g. ["no_such_vhost","x"]).</summary>
    public void AssertError(int status, string error, JsonNode? reason)
    {
        AssertStatus(status);
        var expected = new JsonObject { ["error"] = error, ["reason"] = reason?.DeepClone() };
        if (!JsonNode.DeepEquals(expected, Json))
        {
            throw new Xunit.Sdk.XunitException($"{request}: expected body {expected.ToJsonString()}\n but got {Body}");
        }
    }
}

/// <summary>A client of the management API: paths relative to its base (api/...), JSON bodies.</summary>
public sealed class ManagementClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    /// <summary>"api/SEGMENT/SEGMENT..." with every segment percent-encoded (so "/" is "%2F").</summary>
    public static string Path(params string[] segments)
    {
        var builder = new StringBuilder("api");
        foreach (var segment in segments)
        {
            builder.Append('/').Append(Uri.EscapeDataString(segment));
        }

        return builder.ToString();
    }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> PutAsync(string path, string? body = "{}") => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body.ToJsonString());

    public Task<ApiResponse> PostAsync(string path, string? body) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PostAsync(string path, JsonNode body) => SendAsync(HttpMethod.Post, path, body.ToJsonString());

    public Task<ApiResponse> DeleteAsync(string path, IReadOnlyDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Delete, path, null, headers);

    /// <summary>GET that must answer 200 with JSON.</summary>
    public async Task<JsonNode> GetJsonAsync(string path) => (await GetAsync(path)).AssertStatus(200).Json;

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? body = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse((int)response.StatusCode, text, response.Headers, response.Content.Headers, $"{method} {path}");
    }

    public void Dispose() => Http.Dispose();
}
