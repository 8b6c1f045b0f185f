using System.Net.Http.Headers;
using System.Text;

namespace Broker.BrowserTests;

/// <summary>The management API as guest, for setting up what a page test looks at and checking what it did.</summary>
internal sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;

    public AdminApi(Uri baseUri)
    {
        _http = new HttpClient { BaseAddress = baseUri };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
    }

    /// <summary>A path with each segment percent-encoded: Path("queues", "/", "q") is "api/queues/%2F/q".</summary>
    public static string Path(params string[] segments) => "api/" + string.Join('/', segments.Select(Uri.EscapeDataString));

    public async Task PutAsync(string path, string json = "{}")
    {
        using var response = await _http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public async Task PostAsync(string path, string json)
    {
        using var response = await _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public async Task<int> StatusAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return (int)response.StatusCode;
    }

    public async Task<string> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Deletes, ignoring 404 (cleanup after a test that may have deleted it itself).</summary>
    public async Task DeleteAsync(string path)
    {
        using var response = await _http.DeleteAsync(path);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    public void Dispose() => _http.Dispose();
}
