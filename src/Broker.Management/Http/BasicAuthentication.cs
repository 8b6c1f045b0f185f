using System.Net;
using System.Text;
using Broker.Engine.Security;
using Microsoft.AspNetCore.Http;

namespace Broker.Management.Http;

/// <summary>HTTP basic authentication against the broker's users, answered as RabbitMQ's management plugin answers.</summary>
public static class BasicAuthentication
{
    /// <summary>
    /// The user, or an <see cref="ApiError"/>: 401 without credentials or with wrong ones, 401 "User
    /// can only log in via localhost" for one of <paramref name="loopbackUsers"/> from elsewhere, 401
    /// "Not management user" without a management tag.
    /// </summary>
    public static User Authenticate(HttpContext context, UserStore users, IReadOnlyCollection<string>? loopbackUsers = null)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            // No credentials: RabbitMQ's challenge has no body.
            throw new ApiError(401, string.Empty, string.Empty);
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiError(401, "not_authorized", "Login failed");
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            throw new ApiError(401, "not_authorized", "Login failed");
        }

        var colon = decoded.IndexOf(':');
        var user = colon < 0 ? null : users.Authenticate(decoded[..colon], decoded[(colon + 1)..]);
        if (user is null)
        {
            throw new ApiError(401, "not_authorized", "Login failed");
        }

        // rabbit_mgmt_util:is_authorized checks loopback_users after the password, before the tags.
        if (loopbackUsers is not null && loopbackUsers.Contains(user.Name) && !IsLoopback(context.Connection.RemoteIpAddress))
        {
            throw new ApiError(401, "not_authorized", "User can only log in via localhost");
        }

        if (!Access.IsManagementUser(user))
        {
            throw ApiError.NotAuthorised("Not management user");
        }

        return user;
    }

    /// <summary>No address is an in-process request (a test server), which is local.</summary>
    private static bool IsLoopback(IPAddress? address) =>
        address is null || IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
