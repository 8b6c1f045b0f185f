using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Engine;
using Broker.Engine.Security;
using Broker.Engine.VirtualHosts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Broker.Management.Http;

/// <summary>
/// One API request: its path split into segments and percent-decoded one by one (so a vhost named
/// "/" arrives as "%2F" and a name may hold any character), its user, and ways to answer.
/// </summary>
public sealed class ApiRequest
{
    // Relaxed escaping writes "<", "&" and quotes as RabbitMQ does (it is JSON, never embedded in HTML).
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public ApiRequest(HttpContext context, BrokerEngine engine)
    {
        Context = context;
        Engine = engine;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?');
        var path = query < 0 ? raw : raw[..query];
        Segments = [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString)];
        if (path.EndsWith('/') && Segments.Length > 0)
        {
            // "/api/queues/%2F/" names the same collection as "/api/queues/%2F".
            TrailingSlash = true;
        }
    }

    public HttpContext Context { get; }

    public BrokerEngine Engine { get; }

    public string[] Segments { get; }

    public bool TrailingSlash { get; }

    public string Method => Context.Request.Method;

    /// <summary>The authenticated user (set before any handler runs).</summary>
    public User User { get; set; } = null!;

    public string? Query(string name) => Context.Request.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    /// <summary>The vhost named in the path, or 404; 401 when the user may not see its objects (RabbitMQ's is_authorized_vhost).</summary>
    public VirtualHost VirtualHost(string name)
    {
        if (!Engine.TryGetVirtualHost(name, out var virtualHost))
        {
            throw ApiError.NotFound();
        }

        if (!Access.SeesObjectsOf(Engine, User, name))
        {
            throw ApiError.NoVirtualHostAccess();
        }

        return virtualHost;
    }

    /// <summary>
    /// The vhost named in the path, or 404; 401 when the user may not see the vhost itself: monitoring
    /// users see every vhost (RabbitMQ's is_authorized_vhost_visible, e.g. for its limits).
    /// </summary>
    public VirtualHost VisibleVirtualHost(string name)
    {
        if (!Engine.TryGetVirtualHost(name, out var virtualHost))
        {
            throw ApiError.NotFound();
        }

        if (!Access.SeesEverything(User) && !Access.CanAccess(Engine, User, name))
        {
            throw ApiError.NoVirtualHostAccess();
        }

        return virtualHost;
    }

    /// <summary>The vhost for a change: it must exist and the user must have permissions there, whatever its tags.</summary>
    public VirtualHost VirtualHostForWrite(string name)
    {
        if (!Engine.TryGetVirtualHost(name, out var virtualHost))
        {
            throw ApiError.NotFound();
        }

        if (!Access.CanAccess(Engine, User, name))
        {
            throw ApiError.NoVirtualHostAccess();
        }

        return virtualHost;
    }

    public Permissions PermissionsIn(string virtualHost) =>
        Engine.Users.GetPermissions(User.Name, virtualHost) ?? throw ApiError.NoVirtualHostAccess();

    public void RequireAdministrator()
    {
        if (!Access.IsAdministrator(User))
        {
            throw ApiError.NotAdministrator();
        }
    }

    public void RequireMonitor()
    {
        if (!Access.IsMonitor(User))
        {
            throw ApiError.NotMonitor();
        }
    }

    /// <summary>
    /// RabbitMQ's is_authorized_policies: administrators, or policymakers with permissions on the vhost
    /// (when one is named and exists: an unknown vhost is left to the handler's 404).
    /// </summary>
    public void RequirePolicymaker(string? virtualHost)
    {
        var allowed = Access.IsAdministrator(User)
            || (Access.IsPolicymaker(User) && (virtualHost is null || !Engine.TryGetVirtualHost(virtualHost, out _) || Access.CanAccess(Engine, User, virtualHost)));
        if (!allowed)
        {
            throw ApiError.NoObjectAccess();
        }
    }

    /// <summary>
    /// The request body as a JSON object; 400 not_json otherwise. An empty body and JSON null are an
    /// empty object; a JSON string gets RabbitMQ's own reason (a client that encoded its JSON twice).
    /// </summary>
    public async Task<JsonObject> ReadObjectAsync()
    {
        using var reader = new StreamReader(Context.Request.Body);
        var text = await reader.ReadToEndAsync(Context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw ApiError.BadRequest("not_json");
        }

        return node switch
        {
            null => [],
            JsonObject body => body,
            JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                throw ApiError.BadRequest("invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?"),
            _ => throw ApiError.BadRequest("not_json"),
        };
    }

    /// <summary>
    /// A boolean field of a body: JSON true or false, or the strings "true" and "false" (rabbitmqadmin
    /// sends those); anything else is RabbitMQ's 400 [not_boolean, VALUE].
    /// </summary>
    public static bool Flag(JsonObject body, string key, bool absent)
    {
        if (body[key] is not JsonValue value)
        {
            return absent;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when value.GetValue<string>() == "true" => true,
            JsonValueKind.String when value.GetValue<string>() == "false" => false,
            _ => throw ApiError.BadRequest(new JsonArray("not_boolean", value.DeepClone())),
        };
    }

    /// <summary>
    /// Writes a JSON answer. A single object answered 200 is cut down to <c>columns</c> as RabbitMQ cuts
    /// every object it replies with; a page of a list (whose items are already cut) passes
    /// <paramref name="wholeObject"/> to keep its counts.
    /// </summary>
    public Task Json(JsonNode? body, int status = 200, bool wholeObject = false)
    {
        if (status == 200 && !wholeObject && body is JsonObject item && Query("columns") is { Length: > 0 } columns)
        {
            body = Listing.Columns(item, columns);
        }

        Context.Response.StatusCode = status;
        Context.Response.ContentType = "application/json";
        return Context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, Compact), Context.RequestAborted).AsTask();
    }

    public Task NoContent()
    {
        Context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    public Task Created()
    {
        Context.Response.StatusCode = 201;
        return Task.CompletedTask;
    }

    /// <summary>201 when the object is new, 204 when it existed (RabbitMQ's PUT answers).</summary>
    public Task CreatedOrUpdated(bool created) => created ? Created() : NoContent();

    public Task Error(ApiError error)
    {
        if (error.Status == 401)
        {
            Context.Response.Headers.WWWAuthenticate = "Basic realm=\"RabbitMQ Management\"";
        }

        return Json(new JsonObject { ["error"] = error.Error, ["reason"] = error.ReasonTerm?.DeepClone() ?? JsonValue.Create(error.Reason) }, error.Status);
    }
}
