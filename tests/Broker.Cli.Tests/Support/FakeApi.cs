using System.Net;
using System.Text;

namespace Broker.Cli.Tests.Support;

/// <summary>One request as the CLI sent it: the path and query exactly as they went on the wire.</summary>
internal sealed record SentRequest(string Method, string PathAndQuery, string? Body, string? ContentType, string? Authorization, string? Reason);

/// <summary>
/// A management API in memory: records each request and answers it with what the test says (status
/// and JSON body), or fails the way a network does.
/// </summary>
internal sealed class FakeApi(Func<SentRequest, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
{
    public List<SentRequest> Requests { get; } = [];

    public SentRequest Single => Assert.Single(Requests);

    /// <summary>Answers every request with one status and body.</summary>
    public static FakeApi Answering(HttpStatusCode status, string body = "") => new(_ => (status, body));

    /// <summary>A broker nobody listens for: every request fails before an answer.</summary>
    public static FakeApi Refusing(Exception failure) => new(_ => throw failure);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!.OriginalString;
        var pathAndQuery = uri[(uri.IndexOf('/', uri.IndexOf("//", StringComparison.Ordinal) + 2))..];
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var sent = new SentRequest(
            request.Method.Method,
            pathAndQuery,
            body,
            request.Content?.Headers.ContentType?.MediaType,
            request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("X-Reason", out var reasons) ? reasons.Single() : null);
        Requests.Add(sent);
        var (status, json) = answer(sent);
        return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    }
}
