using System.Globalization;
using System.Text.Json.Nodes;
using Broker.Engine.Limits;
using Broker.Engine.Security;
using Broker.Management.Http;

namespace Broker.Management.Endpoints;

/// <summary>
/// What RabbitMQ keeps beside users and topology: topic permissions, vhost and user limits, runtime
/// and global parameters. Stored and reported here; topic permissions and limits are not enforced yet
/// (issue 13).
/// </summary>
internal sealed class SettingsEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        RegisterTopicPermissions(router);
        RegisterLimits(router);
        RegisterParameters(router);
    }

    private void RegisterTopicPermissions(ApiRouter router)
    {
        router.Get("api/topic-permissions", (r, _) =>
        {
            r.RequireAdministrator();
            return Listing.Write(r, [.. context.Engine.Users.GetTopicPermissions()], p => p.VirtualHost + "\0" + p.User + "\0" + p.Exchange, TopicView);
        });
        router.Get("api/users/{}/topic-permissions", (r, a) =>
        {
            r.RequireAdministrator();
            _ = context.Engine.Users.TryGet(a[0], out _) ? 0 : throw ApiError.NotFound();
            return Listing.Write(r, [.. context.Engine.Users.GetTopicPermissions(user: a[0])], p => p.VirtualHost + "\0" + p.Exchange, TopicView);
        });
        router.Get("api/vhosts/{}/topic-permissions", (r, a) =>
        {
            r.RequireAdministrator();
            r.VirtualHost(a[0]);
            return Listing.Write(r, [.. context.Engine.Users.GetTopicPermissions(virtualHost: a[0])], p => p.User + "\0" + p.Exchange, TopicView);
        });
        router.Get("api/topic-permissions/{}/{}", (r, a) =>
        {
            r.RequireAdministrator();
            var found = context.Engine.Users.GetTopicPermissions(a[1], a[0]);
            if (found.Count == 0)
            {
                throw ApiError.NotFound();
            }

            var array = new JsonArray();
            foreach (var permission in found)
            {
                array.Add(TopicView(permission));
            }

            return r.Json(array);
        });
        router.Put("api/topic-permissions/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            var body = await r.ReadObjectAsync();

            // Nulls count as missing here: RabbitMQ answers a null write or read with a 500.
            RequiredKeys.Check(body, nullIsMissing: true, "exchange", "write", "read");

            if (!context.Engine.TryGetVirtualHost(a[0], out _) || !context.Engine.Users.TryGet(a[1], out _))
            {
                throw ApiError.BadRequest("vhost_or_user_not_found");
            }

            var exchange = body["exchange"]!.ToString();

            // RabbitMQ's resource is all of the user's topic permissions in the vhost: a second exchange is 204.
            var created = context.Engine.Users.GetTopicPermissions(a[1], a[0]).Count == 0;
            var error = context.Engine.Users.SetTopicPermissions(a[1], a[0], exchange, body["write"]!.ToString(), body["read"]!.ToString());
            EngineErrors.ThrowIfError(error);
            await context.Engine.Definitions.WhenPersisted();
            await r.CreatedOrUpdated(created);
        });
        router.Delete("api/topic-permissions/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            // RabbitMQ 3.10's route names no exchange: a DELETE clears every exchange's, whatever the query string says.
            if (!context.Engine.Users.ClearTopicPermissions(a[1], a[0]))
            {
                throw ApiError.NotFound();
            }

            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
    }

    private static JsonObject TopicView(TopicPermissions permission) => new()
    {
        ["user"] = permission.User,
        ["vhost"] = permission.VirtualHost,
        ["exchange"] = permission.Exchange,
        ["write"] = permission.Write,
        ["read"] = permission.Read,
    };

    private void RegisterLimits(ApiRouter router)
    {
        // Every management user reads the limits of the vhosts it sees (monitoring users see all of them).
        router.Get("api/vhost-limits", (r, _) =>
        {
            var rows = context.Engine.VirtualHosts.Where(v => !v.Limits.IsEmpty && (Access.SeesEverything(r.User) || Access.CanAccess(context.Engine, r.User, v.Name))).ToList();
            return Listing.Write(r, rows, v => v.Name, v => new JsonObject { ["vhost"] = v.Name, ["value"] = LimitsJson(v.Limits) });
        });
        router.Get("api/vhost-limits/{}", (r, a) =>
        {
            var virtualHost = r.VisibleVirtualHost(a[0]);
            var array = new JsonArray();
            if (!virtualHost.Limits.IsEmpty)
            {
                array.Add(new JsonObject { ["vhost"] = virtualHost.Name, ["value"] = LimitsJson(virtualHost.Limits) });
            }

            return r.Json(array);
        });
        router.Put("api/vhost-limits/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            var body = await r.ReadObjectAsync();
            var virtualHost = context.Engine.TryGetVirtualHost(a[0], out var found) ? found : throw new ApiError(404, "not_found", "vhost_not_found");
            RequiredKeys.Check(body, nullIsMissing: false, "value");
            if (LimitError(a[1], body["value"], ResourceLimits.VirtualHostNames, "limits", out var value) is { } error)
            {
                throw ApiError.BadRequest($"Validation failed\n\n{error}\n");
            }

            EngineErrors.ThrowIfError(virtualHost.SetLimit(a[1], value));
            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
        router.Delete("api/vhost-limits/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            var virtualHost = context.Engine.TryGetVirtualHost(a[0], out var found) ? found : throw ApiError.NotFound();
            EngineErrors.ThrowIfError(virtualHost.ClearLimit(a[1]));
            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });

        // RabbitMQ 3.10 shows every user's limits to every management user.
        router.Get("api/user-limits", (r, _) =>
        {
            var rows = context.Engine.Users.Users.Where(u => !u.Limits.IsEmpty).ToList();
            return Listing.Write(r, rows, u => u.Name, u => new JsonObject { ["user"] = u.Name, ["value"] = LimitsJson(u.Limits) });
        });
        router.Get("api/user-limits/{}", (r, a) =>
        {
            var user = context.Engine.Users.TryGet(a[0], out var found) ? found : throw ApiError.NotFound();
            var array = new JsonArray();
            if (!user.Limits.IsEmpty)
            {
                array.Add(new JsonObject { ["user"] = user.Name, ["value"] = LimitsJson(user.Limits) });
            }

            return r.Json(array);
        });
        router.Put("api/user-limits/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            var body = await r.ReadObjectAsync();
            RequiredKeys.Check(body, nullIsMissing: false, "value");

            // Checked before the user, and answered bare: RabbitMQ's user limits skip "Validation failed".
            if (LimitError(a[1], body["value"], ResourceLimits.UserNames, "user-limits", out var value) is { } error)
            {
                throw ApiError.BadRequest(error);
            }

            if (!context.Engine.Users.TryGet(a[0], out _))
            {
                throw ApiError.BadRequest(new JsonArray("no_such_user", a[0]));
            }

            EngineErrors.ThrowIfError(context.Engine.Users.SetLimit(a[0], a[1], value));
            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
        router.Delete("api/user-limits/{}/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            _ = context.Engine.Users.TryGet(a[0], out _) ? 0 : throw ApiError.NotFound();
            EngineErrors.ThrowIfError(context.Engine.Users.ClearLimit(a[0], a[1]));
            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
    }

    private static JsonObject LimitsJson(ResourceLimits limits)
    {
        var json = new JsonObject();
        foreach (var (name, value) in limits.Values)
        {
            json[name] = value;
        }

        return json;
    }

    /// <summary>
    /// Why RabbitMQ refuses one limit (rabbit_parameter_validation:proplist): a name it does not know
    /// ("Unrecognised terms [{NAME,VALUE}] in COMPONENT"), else a value that is not an integer; null when valid.
    /// </summary>
    private static string? LimitError(string name, JsonNode? node, IReadOnlyList<string> allowed, string component, out long value)
    {
        value = 0;
        if (!allowed.Contains(name))
        {
            return $"Unrecognised terms [{{<<\"{name}\">>,{Erlang(node)}}}] in {component}";
        }

        if (node is JsonValue json && json.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && long.TryParse(json.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return null;
        }

        return $"{name} should be a number, actually was {Erlang(node)}";
    }

    /// <summary>A JSON value as Erlang's ~p prints what RabbitMQ decoded it to (strings are binaries, null an atom).</summary>
    private static string Erlang(JsonNode? node) => node switch
    {
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String => $"<<\"{value.GetValue<string>()}\">>",
        null => "null",
        _ => node.ToJsonString(),
    };

    private void RegisterParameters(ApiRouter router)
    {
        // Runtime parameters are policymakers' (and administrators'): reading them too (RabbitMQ's is_authorized_policies).
        router.Get("api/parameters", (r, _) =>
        {
            r.RequirePolicymaker(null);
            return Listing.Write(r, Parameters(r, null, null), p => p.Component + "\0" + p.VirtualHost + "\0" + p.Name, ParameterView);
        });
        router.Get("api/parameters/{}", (r, a) =>
        {
            r.RequirePolicymaker(null);
            return Listing.Write(r, Parameters(r, a[0], null), p => p.VirtualHost + "\0" + p.Name, ParameterView);
        });
        router.Get("api/parameters/{}/{}", (r, a) =>
        {
            r.RequirePolicymaker(a[1]);
            r.VirtualHost(a[1]);
            return Listing.Write(r, Parameters(r, a[0], a[1]), p => p.Name, ParameterView);
        });
        router.Get("api/parameters/{}/{}/{}", (r, a) =>
        {
            r.RequirePolicymaker(a[1]);
            r.VirtualHost(a[1]);
            foreach (var parameter in Parameters(r, a[0], a[1]))
            {
                if (parameter.Name == a[2])
                {
                    return r.Json(ParameterView(parameter));
                }
            }

            throw ApiError.NotFound();
        });
        router.Put("api/parameters/{}/{}/{}", async (r, a) =>
        {
            r.RequirePolicymaker(a[1]);
            var body = await r.ReadObjectAsync();
            var virtualHost = context.Engine.TryGetVirtualHost(a[1], out var found) ? found : throw new ApiError(404, "not_found", "vhost_not_found");
            RequiredKeys.Check(body, nullIsMissing: false, "value");
            if (a[0] != Engine.Parameters.RuntimeParameters.VirtualHostLimitsComponent)
            {
                // No other runtime-parameter component (federation, shovel...) runs here: RabbitMQ without its plugin answers so.
                throw ApiError.BadRequest($"Validation failed\n\ncomponent {a[0]} not found\n");
            }

            var created = virtualHost.Limits.IsEmpty;
            EngineErrors.ThrowIfError(virtualHost.SetLimits(LimitsParameter(a[2], body["value"])));
            await context.Engine.Definitions.WhenPersisted();
            await r.CreatedOrUpdated(created);
        });
        router.Delete("api/parameters/{}/{}/{}", async (r, a) =>
        {
            r.RequirePolicymaker(a[1]);
            if (a[0] == Engine.Parameters.RuntimeParameters.VirtualHostLimitsComponent && a[2] == "limits")
            {
                if (!context.Engine.TryGetVirtualHost(a[1], out var virtualHost) || virtualHost.Limits.IsEmpty)
                {
                    throw ApiError.NotFound();
                }

                EngineErrors.ThrowIfError(virtualHost.SetLimits(ResourceLimits.None));
            }
            else if (!context.Engine.Parameters.Clear(a[1], a[0], a[2]))
            {
                throw ApiError.NotFound();
            }

            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
        RegisterGlobalParameters(router);
    }

    /// <summary>
    /// The value of a vhost's "limits" parameter as RabbitMQ validates it (rabbit_parameter_validation:proplist):
    /// an object of known limits with integer values, every problem reported, names it does not know first,
    /// and HTML-escaped as RabbitMQ 3.10 escapes the reasons of /api/parameters.
    /// </summary>
    private static ResourceLimits LimitsParameter(string name, JsonNode? value)
    {
        if (name != "limits")
        {
            // RabbitMQ stores another name as a parameter of its own that limits nothing (and answers 500).
            throw ApiError.BadRequest("Validation failed\n\nthe vhost-limits parameter is named limits\n");
        }

        List<string> errors = [];
        List<KeyValuePair<string, long>> limits = [];
        if (value is not JsonObject table)
        {
            errors.Add($"limits not a list {Erlang(value)}");
        }
        else
        {
            var unknown = table.Where(entry => !ResourceLimits.VirtualHostNames.Contains(entry.Key)).Select(entry => $"{{<<\"{entry.Key}\">>,{Erlang(entry.Value)}}}").ToList();
            if (unknown.Count > 0)
            {
                errors.Add($"Unrecognised terms [{string.Join(",", unknown)}] in limits");
            }

            // RabbitMQ reports its known names in the reverse of its order (max-queues, then max-connections).
            foreach (var known in ResourceLimits.VirtualHostNames.Reverse())
            {
                if (table.TryGetPropertyValue(known, out var node))
                {
                    if (LimitError(known, node, ResourceLimits.VirtualHostNames, "limits", out var number) is { } error)
                    {
                        errors.Add(error);
                    }
                    else
                    {
                        limits.Add(new(known, number));
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            var reason = "Validation failed\n\n" + string.Concat(errors.Select(e => e + "\n"));
            throw ApiError.BadRequest(System.Net.WebUtility.HtmlEncode(reason).Replace("&quot;", "\"", StringComparison.Ordinal).Replace("&#39;", "'", StringComparison.Ordinal));
        }

        return ResourceLimits.Of(limits);
    }

    private void RegisterGlobalParameters(ApiRouter router)
    {
        // Policymakers' too, as RabbitMQ's is_authorized_global_parameters.
        router.Get("api/global-parameters", (r, _) =>
        {
            r.RequirePolicymaker(null);
            return Listing.Write(r, [.. context.Engine.Parameters.ListGlobal()], p => p.Name, p => new JsonObject { ["name"] = p.Name, ["value"] = JsonNode.Parse(p.Value) });
        });
        router.Get("api/global-parameters/{}", (r, a) =>
        {
            r.RequirePolicymaker(null);
            return context.Engine.Parameters.TryGetGlobal(a[0], out var parameter)
                ? r.Json(new JsonObject { ["name"] = parameter.Name, ["value"] = JsonNode.Parse(parameter.Value) })
                : throw ApiError.NotFound();
        });
        router.Put("api/global-parameters/{}", async (r, a) =>
        {
            r.RequirePolicymaker(null);
            var body = await r.ReadObjectAsync();
            RequiredKeys.Check(body, nullIsMissing: false, "value");
            var created = !context.Engine.Parameters.TryGetGlobal(a[0], out _);
            context.Engine.Parameters.SetGlobal(a[0], body["value"]?.ToJsonString() ?? "null");
            await context.Engine.Definitions.WhenPersisted();
            await r.CreatedOrUpdated(created);
        });
        router.Delete("api/global-parameters/{}", async (r, a) =>
        {
            r.RequirePolicymaker(null);
            if (!context.Engine.Parameters.ClearGlobal(a[0]))
            {
                throw ApiError.NotFound();
            }

            await context.Engine.Definitions.WhenPersisted();
            await r.NoContent();
        });
    }

    /// <summary>Kept parameters, with each vhost's limits as RabbitMQ lists them (component vhost-limits, name limits).</summary>
    private List<Engine.Parameters.RuntimeParameter> Parameters(ApiRequest request, string? component, string? vhost)
    {
        List<Engine.Parameters.RuntimeParameter> result = [];
        foreach (var parameter in context.Engine.Parameters.List(component, vhost))
        {
            if (Access.SeesObjectsOf(context.Engine, request.User, parameter.VirtualHost))
            {
                result.Add(parameter);
            }
        }

        if (component is null or Engine.Parameters.RuntimeParameters.VirtualHostLimitsComponent)
        {
            foreach (var virtualHost in context.Engine.VirtualHosts)
            {
                if ((vhost is null || virtualHost.Name == vhost) && !virtualHost.Limits.IsEmpty
                    && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
                {
                    result.Add(new Engine.Parameters.RuntimeParameter(virtualHost.Name, Engine.Parameters.RuntimeParameters.VirtualHostLimitsComponent, "limits", LimitsJson(virtualHost.Limits).ToJsonString()));
                }
            }
        }

        return result;
    }

    private static JsonObject ParameterView(Engine.Parameters.RuntimeParameter parameter) => new()
    {
        ["value"] = JsonNode.Parse(parameter.Value),
        ["vhost"] = parameter.VirtualHost,
        ["component"] = parameter.Component,
        ["name"] = parameter.Name,
    };
}
