namespace Broker.Management.Http;

/// <summary>An answer other than success, with RabbitMQ's status, error and reason texts.</summary>
public sealed class ApiError(int status, string error, string reason) : Exception(reason)
{
    public int Status { get; } = status;

    public string Error { get; } = error;

    public string Reason { get; } = reason;

    public static ApiError NotFound() => new(404, "Object Not Found", "Not Found");

    public static ApiError BadRequest(string reason) => new(400, "bad_request", reason);

    /// <summary>A user without the tag an endpoint needs (RabbitMQ spells it "not_authorised" here).</summary>
    public static ApiError NotAuthorised(string reason) => new(401, "not_authorised", reason);

    public static ApiError NotAdministrator() => NotAuthorised("Not administrator user");

    public static ApiError NotMonitor() => NotAuthorised("Not monitor user");

    public static ApiError NoVirtualHostAccess() => NotAuthorised("User not authorised to access virtual host");

    public static ApiError NoObjectAccess() => NotAuthorised("User not authorised to access object");
}
