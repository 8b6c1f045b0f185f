using System.Text.Json.Nodes;

namespace Broker.Management.Http;

/// <summary>An answer other than success, with RabbitMQ's status, error and reason texts.</summary>
public sealed class ApiError(int status, string error, string reason) : Exception(reason)
{
    public int Status { get; } = status;

    public string Error { get; } = error;

    public string Reason { get; } = reason;

    /// <summary>A reason RabbitMQ writes as an Erlang term turned JSON (e.g. ["no_such_vhost","x"]), written instead of <see cref="Reason"/>.</summary>
    public JsonArray? ReasonTerm { get; private init; }

    public static ApiError NotFound() => new(404, "Object Not Found", "Not Found");

    public static ApiError BadRequest(string reason) => new(400, "bad_request", reason);

    public static ApiError BadRequest(JsonArray term) => new(400, "bad_request", term.ToJsonString()) { ReasonTerm = term };

    /// <summary>A user without the tag an endpoint needs (RabbitMQ spells it "not_authorised" here).</summary>
    public static ApiError NotAuthorised(string reason) => new(401, "not_authorised", reason);

    public static ApiError NotAdministrator() => NotAuthorised("Not administrator user");

    public static ApiError NotMonitor() => NotAuthorised("Not monitor user");

    public static ApiError NoVirtualHostAccess() => NotAuthorised("User not authorised to access virtual host");

    public static ApiError NoObjectAccess() => NotAuthorised("User not authorised to access object");

    /// <summary>
    /// RabbitMQ's 400 for required body keys that are absent: the Erlang list [{key_missing,K},...]
    /// as its ~p prints it, one element per line once the list is too long for one (79 characters
    /// and over, as RabbitMQ 3.10's answers show).
    /// </summary>
    public static ApiError KeysMissing(IReadOnlyList<string> keys)
    {
        var terms = keys.Select(key => $"{{key_missing,{key}}}").ToList();
        var flat = "[" + string.Join(",", terms) + "]";
        return BadRequest(flat.Length < 79 ? flat : "[" + string.Join(",\n ", terms) + "]");
    }
}
