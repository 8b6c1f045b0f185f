using System.Diagnostics;
using System.Net.Http.Headers;

namespace Broker.Benchmarks;

/// <summary>
/// The management web UI seen from a browser, without one: when its page and the API behind it first
/// answer, and the requests an open overview page keeps making (RabbitMQ's UI and ours both refresh
/// the overview every 5 s), so that the memory measured after them is "idle with the UI open".
/// </summary>
internal static class WebUiProbe
{
    // What an overview page asks for on each refresh, in both UIs.
    private static readonly string[] OverviewRequests = ["api/overview", "api/nodes", "api/vhosts", "api/whoami"];

    public static async Task<double?> WaitUntilAnsweringAsync(Uri ui, Uri amqp, Stopwatch sinceStart, double timeoutSeconds, CancellationToken ct)
    {
        using var http = Client(ui, amqp);
        while (sinceStart.Elapsed.TotalSeconds < timeoutSeconds)
        {
            if (await AnswersAsync(http, "") && await AnswersAsync(http, "api/overview"))
            {
                return sinceStart.Elapsed.TotalMilliseconds;
            }

            await Task.Delay(10, ct);
        }

        return null;
    }

    public static async Task PollLikeAnOpenOverviewAsync(Uri ui, Uri amqp, TimeSpan duration, CancellationToken ct)
    {
        using var http = Client(ui, amqp);
        var until = Stopwatch.StartNew();
        while (until.Elapsed < duration)
        {
            foreach (var path in OverviewRequests)
            {
                await AnswersAsync(http, path);
            }

            await Task.Delay(TimeSpan.FromSeconds(5), ct);
        }
    }

    private static HttpClient Client(Uri ui, Uri amqp)
    {
        var http = new HttpClient { BaseAddress = ui.AbsoluteUri.EndsWith('/') ? ui : new Uri(ui.AbsoluteUri + "/"), Timeout = TimeSpan.FromSeconds(5) };
        var credentials = Uri.UnescapeDataString(amqp.UserInfo.Length > 0 ? amqp.UserInfo : "guest:guest");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        return http;
    }

    private static async Task<bool> AnswersAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
