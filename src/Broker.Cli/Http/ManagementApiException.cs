using System.Net;
using System.Text;
using System.Text.Json;

namespace Broker.Cli.Http;

/// <summary>
/// The API answered with an error (RabbitMQ's <c>{"error": ..., "reason": ...}</c>) or with something
/// it never answers; the message is one line naming the request, the status and the reason.
/// </summary>
internal sealed class ManagementApiException(ApiResponse response, string message) : Exception(message)
{
    public ApiResponse Response { get; } = response;

    public bool IsNotAuthorised => Response.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    /// <summary>The API's error word (<c>page_out_of_range</c>, <c>not_authorised</c>), if it sent one.</summary>
    public string? Error { get; private init; }

    public static ManagementApiException From(ApiResponse response)
    {
        var (error, reason) = ErrorOf(response.Body);
        var message = new StringBuilder()
            .Append(response.Method).Append(" /").Append(response.Path).Append(": ")
            .Append((int)response.Status);
        if (error is not null)
        {
            message.Append(' ').Append(error);
        }

        if (reason is not null && reason != error)
        {
            message.Append(": ").Append(reason);
        }
        else if (error is null && response.Body.Length > 0)
        {
            message.Append(": ").Append(OneLine(response.Body, 200));
        }
        else if (error is null && !string.IsNullOrEmpty(response.ReasonPhrase))
        {
            message.Append(' ').Append(response.ReasonPhrase);
        }

        return new ManagementApiException(response, message.ToString()) { Error = error };
    }

    /// <summary>The error and reason of an error body; RabbitMQ escapes reasons as HTML and may break
    /// them over lines, which a one-line message undoes.</summary>
    internal static (string? Error, string? Reason) ErrorOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (Text(json.RootElement, "error"), Text(json.RootElement, "reason"));
        }
        catch (JsonException)
        {
            return (null, null);
        }

        static string? Text(JsonElement body, string name) =>
            body.TryGetProperty(name, out var value)
                ? OneLine(WebUtility.HtmlDecode(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()), 1000)
                : null;
    }

    /// <summary>Whitespace runs (newlines included) as one space, cut to a length.</summary>
    internal static string OneLine(string text, int maxLength)
    {
        var line = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = line.Length > 0;
                continue;
            }

            if (space)
            {
                line.Append(' ');
                space = false;
            }

            line.Append(c);
            if (line.Length >= maxLength)
            {
                return line.Append("...").ToString();
            }
        }

        return line.ToString();
    }
}
