using System.Net.Http.Headers;
using System.Text;
using Broker.Cli.Arguments;

namespace Broker.Cli.Http;

/// <summary>
/// Sends requests to the management API with basic authentication and hands back status and body;
/// whether a status is an error is the caller's call (a failed health check answers 503 with a body
/// worth reading). Failing to get any answer is a <see cref="BrokerUnreachableException"/>.
/// </summary>
internal sealed class ManagementClient : IDisposable
{
    // Paths are built from escaped segments (ApiPath) and sent as built: canonicalization would turn a
    // name escaped as %2E%2E back into a dot-segment and drop it with the segment before it.
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly HttpClient _http;
    private readonly string _apiBase;
    private readonly TimeSpan _timeout;

    public ManagementClient(CliSettings settings, HttpMessageHandler? handler)
    {
        // A close reason (X-Reason) may be any text: sent as UTF-8, which RabbitMQ passes on as it is,
        // where the default refuses anything but ASCII.
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = settings.Timeout;
        _timeout = settings.Timeout;
        _apiBase = settings.BaseUri.AbsoluteUri + "api/";
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.User}:{settings.Password}"));
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", credentials);

        // No Accept header: RabbitMQ answers 406 to one asking for JSON where it answers nothing (a purge).
    }

    /// <summary>Where the API is, for messages (no credentials in it).</summary>
    public string ApiBase => _apiBase;

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    /// <summary>Sends one request; <paramref name="path"/> is relative to <c>/api/</c>, already escaped.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? json = null, string? reason = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(_apiBase + path, in Verbatim));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (reason is not null)
        {
            // RabbitMQ reads a connection's close reason from this header.
            request.Headers.Add("X-Reason", reason);
        }

        var shownPath = "api/" + path.Split('?')[0];
        try
        {
            using var response = await _http.SendAsync(request).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            return new ApiResponse(method.Method, shownPath, response.StatusCode, body) { ReasonPhrase = response.ReasonPhrase };
        }
        catch (HttpRequestException ex)
        {
            throw new BrokerUnreachableException($"cannot reach the management API at {_apiBase}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex)
        {
            throw new BrokerUnreachableException($"no answer from the management API at {_apiBase} within {_timeout.TotalSeconds} s", ex);
        }
    }

    public void Dispose() => _http.Dispose();
}
