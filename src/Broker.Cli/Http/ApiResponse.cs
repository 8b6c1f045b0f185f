using System.Net;
using System.Text.Json;

namespace Broker.Cli.Http;

/// <summary>One answer of the API: its status and body, with the request it answers for messages.</summary>
internal sealed record ApiResponse(string Method, string Path, HttpStatusCode Status, string Body)
{
    /// <summary>The status line's text ("Not Acceptable"), for an error without a body.</summary>
    public string? ReasonPhrase { get; init; }

    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>Throws the API's error unless the request succeeded.</summary>
    public ApiResponse EnsureSuccess() => IsSuccess ? this : throw ManagementApiException.From(this);

    /// <summary>The body as JSON; an answer that is not JSON is not the management API's.</summary>
    public JsonDocument Json()
    {
        try
        {
            return JsonDocument.Parse(Body);
        }
        catch (JsonException)
        {
            throw new ManagementApiException(this, $"the answer to {Method} /{Path} is not JSON: {ManagementApiException.OneLine(Body, 120)}");
        }
    }
}
