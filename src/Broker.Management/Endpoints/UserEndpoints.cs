using System.Text.Json.Nodes;
using Broker.Engine.Security;
using Broker.Management.Http;

namespace Broker.Management.Endpoints;

/// <summary>/api/users and /api/permissions: users with RabbitMQ's password hashes and tags, and their per-vhost permissions. Administrators only.</summary>
internal sealed class UserEndpoints(ManagementContext context)
{
    private const string HashingAlgorithm = "rabbit_password_hashing_sha256";

    public void Register(ApiRouter router)
    {
        router.Get("api/users", (r, _) =>
        {
            r.RequireAdministrator();
            return Listing.Write(r, new List<User>(context.Engine.Users.Users), u => u.Name, Build);
        });
        router.Get("api/users/without-permissions", (r, _) =>
        {
            r.RequireAdministrator();
            var users = new List<User>();
            foreach (var user in context.Engine.Users.Users)
            {
                if (!HasAnyPermissions(user.Name))
                {
                    users.Add(user);
                }
            }

            return Listing.Write(r, users, u => u.Name, Build);
        });
        router.Post("api/users/bulk-delete", BulkDelete);
        router.Get("api/users/{}", (r, a) =>
        {
            r.RequireAdministrator();
            return context.Engine.Users.TryGet(a[0], out var user) ? r.Json(Build(user)) : throw ApiError.NotFound();
        });
        router.Put("api/users/{}", Put);
        router.Delete("api/users/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            if (!context.Engine.DeleteUser(a[0]))
            {
                throw ApiError.NotFound();
            }

            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
        router.Get("api/users/{}/permissions", (r, a) =>
        {
            r.RequireAdministrator();
            if (!context.Engine.Users.TryGet(a[0], out _))
            {
                throw ApiError.NotFound();
            }

            return Listing.Write(r, PermissionsWhere(user: a[0], virtualHost: null), p => p.VirtualHost, PermissionView);
        });
        router.Get("api/permissions", (r, _) =>
        {
            r.RequireAdministrator();
            return Listing.Write(r, PermissionsWhere(null, null), p => p.VirtualHost + "\0" + p.User, PermissionView);
        });
        router.Get("api/vhosts/{}/permissions", (r, a) =>
        {
            r.RequireAdministrator();
            r.VirtualHost(a[0]);
            return Listing.Write(r, PermissionsWhere(null, a[0]), p => p.User, PermissionView);
        });
        router.Get("api/permissions/{}/{}", (r, a) =>
        {
            r.RequireAdministrator();
            var permissions = context.Engine.Users.GetPermissions(a[1], a[0]) ?? throw ApiError.NotFound();
            return r.Json(PermissionView((a[1], a[0], permissions)));
        });
        router.Put("api/permissions/{}/{}", PutPermissions);
        router.Delete("api/permissions/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            if (context.Engine.Users.GetPermissions(a[1], a[0]) is null)
            {
                throw ApiError.NotFound();
            }

            context.Engine.Users.ClearPermissions(a[1], a[0]);
            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
    }

    public static JsonObject Build(User user) => new()
    {
        ["name"] = user.Name,
        ["password_hash"] = user.PasswordHash,
        ["hashing_algorithm"] = user.HashingAlgorithm,
        ["tags"] = OverviewEndpoints.Tags(user.Tags),
        ["limits"] = Limits(user),
    };

    private static JsonObject Limits(User user)
    {
        var json = new JsonObject();
        foreach (var (name, value) in user.Limits.Values)
        {
            json[name] = value;
        }

        return json;
    }

    /// <summary>Tags as RabbitMQ accepts them: a comma-separated string or an array of strings.</summary>
    public static List<string> ParseTags(JsonNode? node)
    {
        List<string> tags = [];
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item?.GetValueKind() == System.Text.Json.JsonValueKind.String && item.GetValue<string>().Trim() is { Length: > 0 } tag)
                    {
                        tags.Add(tag);
                    }
                }

                break;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                foreach (var part in value.GetValue<string>().Split(','))
                {
                    if (part.Trim() is { Length: > 0 } tag)
                    {
                        tags.Add(tag);
                    }
                }

                break;
        }

        return tags;
    }

    private async Task Put(ApiRequest request, string[] args)
    {
        request.RequireAdministrator();
        var body = await request.ReadObjectAsync();

        // No length check: RabbitMQ takes user names over 255 bytes.
        var name = args[0];
        if (!body.ContainsKey("tags"))
        {
            throw ApiError.BadRequest("tags_not_present");
        }

        var tags = ParseTags(body["tags"]);
        if (body.ContainsKey("password") && body.ContainsKey("password_hash"))
        {
            throw ApiError.BadRequest("both_password_and_password_hash_are_provided");
        }

        string hash;
        var hashing = HashingAlgorithm;
        if (body["password"] is JsonValue password && password.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            // A password is always hashed with RabbitMQ's default, whatever hashing_algorithm says (as RabbitMQ does).
            hash = PasswordHash.Compute(password.GetValue<string>());
        }
        else if (body["password_hash"] is JsonValue given && given.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            hashing = body["hashing_algorithm"]?.ToString() ?? HashingAlgorithm;
            if (!PasswordHash.IsSupported(hashing))
            {
                throw ApiError.BadRequest($"hashing algorithm {hashing} is not supported: use one of {string.Join(", ", PasswordHash.Algorithms)}");
            }

            // RabbitMQ checks only that the hash is base64; one of another length matches no password.
            hash = given.GetValue<string>();
            if (!IsBase64(hash))
            {
                throw ApiError.BadRequest(new JsonArray("not_base64", hash));
            }
        }
        else
        {
            // As RabbitMQ: no password means an empty hash, which no password matches.
            hash = string.Empty;
        }

        var created = !context.Engine.Users.TryGet(name, out _);
        context.Engine.Users.Restore(name, hash, tags, hashing);
        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }

    private async Task BulkDelete(ApiRequest request, string[] args)
    {
        request.RequireAdministrator();
        var body = await request.ReadObjectAsync();
        if (body["users"] is not JsonArray names)
        {
            throw ApiError.KeysMissing(["users"]);
        }

        // As RabbitMQ: deleted in order, up to the first unknown user, which fails the request.
        try
        {
            foreach (var name in names)
            {
                var text = name?.ToString() ?? string.Empty;
                if (!context.Engine.DeleteUser(text))
                {
                    throw ApiError.BadRequest(new JsonArray("no_such_user", text));
                }
            }
        }
        finally
        {
            await context.Engine.Definitions.WhenPersisted();
        }

        await request.NoContent();
    }

    private async Task PutPermissions(ApiRequest request, string[] args)
    {
        request.RequireAdministrator();
        var body = await request.ReadObjectAsync();
        RequiredKeys.Check(body, value => value is JsonValue, "configure", "write", "read");

        var (virtualHost, user) = (args[0], args[1]);
        if (!context.Engine.TryGetVirtualHost(virtualHost, out _) || !context.Engine.Users.TryGet(user, out _))
        {
            throw ApiError.BadRequest("vhost_or_user_not_found");
        }

        var configure = body["configure"]!.ToString();
        var write = body["write"]!.ToString();
        var read = body["read"]!.ToString();
        Permissions permissions;
        try
        {
            permissions = new Permissions(configure, write, read);
        }
        catch (ArgumentException ex)
        {
            throw ApiError.BadRequest("invalid_regexp: " + ex.Message);
        }

        var created = context.Engine.Users.GetPermissions(user, virtualHost) is null;
        context.Engine.Users.SetPermissions(user, virtualHost, permissions);
        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }

    private bool HasAnyPermissions(string user)
    {
        foreach (var (who, _, _) in context.Engine.Users.AllPermissions())
        {
            if (who == user)
            {
                return true;
            }
        }

        return false;
    }

    private List<(string User, string VirtualHost, Permissions Permissions)> PermissionsWhere(string? user, string? virtualHost)
    {
        List<(string, string, Permissions)> result = [];
        foreach (var entry in context.Engine.Users.AllPermissions())
        {
            if ((user is null || entry.User == user) && (virtualHost is null || entry.VirtualHost == virtualHost))
            {
                result.Add(entry);
            }
        }

        return result;
    }

    private static JsonObject PermissionView((string User, string VirtualHost, Permissions Permissions) entry) => new()
    {
        ["user"] = entry.User,
        ["vhost"] = entry.VirtualHost,
        ["configure"] = entry.Permissions.Configure,
        ["write"] = entry.Permissions.Write,
        ["read"] = entry.Permissions.Read,
    };

    private static bool IsBase64(string hash)
    {
        try
        {
            Convert.FromBase64String(hash);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
