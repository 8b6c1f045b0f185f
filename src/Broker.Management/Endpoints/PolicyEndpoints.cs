using System.Net;
using System.Text.Json.Nodes;
using Broker.Engine.Policies;
using Broker.Management.Http;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>
/// /api/policies and /api/operator-policies: list (all, per vhost), show, set (PUT: 201 new, 204
/// changed), clear. Anyone lists them in vhosts they may see; policymakers read and change policies
/// in vhosts they have permissions on, administrators everywhere; operator policies are read one at a
/// time and changed by administrators only. RabbitMQ's validation texts come from the engine.
/// </summary>
internal sealed class PolicyEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        foreach (var (path, operatorPolicy) in new[] { ("api/policies", false), ("api/operator-policies", true) })
        {
            router.Get(path, (r, _) => Listing.Write(r, Visible(r, null, operatorPolicy), p => p.Name, Build, p => p.VirtualHost));
            router.Get(path + "/{}", (r, a) =>
            {
                r.VirtualHost(a[0]);
                return Listing.Write(r, Visible(r, a[0], operatorPolicy), p => p.Name, Build);
            });
            router.Get(path + "/{}/{}", (r, a) =>
            {
                Authorise(r, a[0], operatorPolicy);
                var policy = (context.Engine.TryGetVirtualHost(a[0], out var virtualHost) ? virtualHost.GetPolicy(a[1], operatorPolicy) : null)
                    ?? throw ApiError.NotFound();
                return r.Json(Build(policy));
            });
            router.Put(path + "/{}/{}", (r, a) => Put(r, a, operatorPolicy));
            router.Delete(path + "/{}/{}", async (r, a) =>
            {
                Authorise(r, a[0], operatorPolicy);
                if (!context.Engine.TryGetVirtualHost(a[0], out var virtualHost) || !virtualHost.ClearPolicy(a[1], operatorPolicy))
                {
                    throw ApiError.NotFound();
                }

                await context.Engine.Definitions.WhenPersisted();
                await r.NoContent();
            });
        }
    }

    public static JsonObject Build(Policy policy) => new()
    {
        ["vhost"] = policy.VirtualHost,
        ["name"] = policy.Name,
        ["pattern"] = policy.Pattern,
        ["apply-to"] = policy.ApplyTo,
        ["definition"] = FieldTableJson.ToJson(policy.Definition),
        ["priority"] = policy.Priority,
    };

    private List<Policy> Visible(ApiRequest request, string? vhost, bool operatorPolicy)
    {
        List<Policy> result = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if ((vhost is null || virtualHost.Name == vhost)
                && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
            {
                result.AddRange(virtualHost.GetPolicies(operatorPolicy));
            }
        }

        return result;
    }

    /// <summary>
    /// Who may read one policy or change policies, checked before anything else as RabbitMQ does:
    /// operator policies are administrators' only; policies need the policymaker (or administrator)
    /// tag and, for policymakers, permissions in the vhost.
    /// </summary>
    private static void Authorise(ApiRequest request, string vhost, bool operatorPolicy)
    {
        if (operatorPolicy)
        {
            request.RequireAdministrator();
        }
        else
        {
            request.RequirePolicymaker(vhost);
        }
    }

    private async Task Put(ApiRequest request, string[] args, bool operatorPolicy)
    {
        Authorise(request, args[0], operatorPolicy);
        var body = await request.ReadObjectAsync();

        // Only a PUT names the missing vhost (RabbitMQ's accept_content); GET and DELETE find no object.
        var virtualHost = context.Engine.TryGetVirtualHost(args[0], out var found) ? found : throw new ApiError(404, "not_found", "vhost_not_found");
        RequiredKeys.Check(body, nullIsMissing: false, "pattern", "definition");

        var error = PolicyValidation.TryCreate(
            virtualHost.Name,
            args[1],
            FieldTableJson.ValueFromJson(body["pattern"]),
            FieldTableJson.ValueFromJson(body["definition"]),
            body.ContainsKey("priority") ? FieldTableJson.ValueFromJson(body["priority"]) : 0L,
            body.ContainsKey("apply-to") ? FieldTableJson.ValueFromJson(body["apply-to"]) : "all",
            operatorPolicy,
            out var policy,
            context.Engine.Options.Compat);
        var created = virtualHost.GetPolicy(args[1], operatorPolicy) is null;
        error ??= virtualHost.SetPolicy(policy!, operatorPolicy);
        if (error is not null)
        {
            // RabbitMQ 3.10 escapes reasons from /api/policies as HTML (not those of operator policies).
            throw ApiError.BadRequest(operatorPolicy ? error : WebUtility.HtmlEncode(error).Replace("&quot;", "\"", StringComparison.Ordinal).Replace("&#39;", "'", StringComparison.Ordinal));
        }

        await context.Engine.Definitions.WhenPersisted();
        await request.CreatedOrUpdated(created);
    }
}
