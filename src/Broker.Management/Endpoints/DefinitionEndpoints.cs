using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Management.Http;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>
/// /api/definitions: export (what survives a restart, in the format --load-definitions and RabbitMQ
/// read) and import, for the whole broker or one vhost. An import that the broker would refuse is a
/// 400 naming the object; objects in vhosts or of users that exist neither in the broker nor in the
/// file are refused before anything is applied, with RabbitMQ's reasons.
/// </summary>
internal sealed class DefinitionEndpoints(ManagementContext context)
{
    private static readonly string[] VirtualHostScoped = ["queues", "exchanges", "bindings", "policies", "parameters"];

    public void Register(ApiRouter router)
    {
        router.Get("api/definitions", (r, _) =>
        {
            r.RequireAdministrator();
            return Export(r, Versioned(WithTransient(context.Runtime.Storage.ExportDefinitions())));
        });
        router.Post("api/definitions", async (r, _) =>
        {
            r.RequireAdministrator();
            await Import(r, await ReadDefinitions(r));
        });
        router.Get("api/definitions/{}", (r, a) =>
        {
            r.RequireAdministrator();
            if (!context.Engine.TryGetVirtualHost(a[0], out _))
            {
                throw ApiError.BadRequest("vhost_not_found");
            }

            return Export(r, ForVirtualHost(Versioned(WithTransient(context.Runtime.Storage.ExportDefinitions())), a[0]));
        });
        router.Post("api/definitions/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            if (!context.Engine.TryGetVirtualHost(a[0], out _))
            {
                throw new ApiError(404, "not_found", "vhost_not_found");
            }

            var definitions = await ReadDefinitions(r);
            await Import(r, IntoVirtualHost(definitions, a[0]));
        });
    }

    /// <summary>
    /// Adds what RabbitMQ exports and storage does not keep: non-durable queues (not exclusive ones),
    /// non-durable exchanges, and the bindings that involve them.
    /// </summary>
    private JsonObject WithTransient(JsonObject definitions)
    {
        var queues = definitions["queues"] as JsonArray ?? [];
        var exchanges = definitions["exchanges"] as JsonArray ?? [];
        var bindings = definitions["bindings"] as JsonArray ?? [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            foreach (var queue in virtualHost.Queues)
            {
                if (!queue.Durable && !queue.Exclusive)
                {
                    queues.Add(new JsonObject
                    {
                        ["name"] = queue.Name,
                        ["vhost"] = virtualHost.Name,
                        ["durable"] = false,
                        ["auto_delete"] = queue.AutoDelete,
                        ["arguments"] = FieldTableJson.ToJson(queue.Arguments),
                    });
                }
            }

            foreach (var exchange in virtualHost.Exchanges)
            {
                if (!exchange.Durable && !Views.ExchangeView.IsBuiltIn(exchange))
                {
                    exchanges.Add(new JsonObject
                    {
                        ["name"] = exchange.Name,
                        ["vhost"] = virtualHost.Name,
                        ["type"] = exchange.Type,
                        ["durable"] = false,
                        ["auto_delete"] = exchange.AutoDelete,
                        ["internal"] = exchange.Internal,
                        ["arguments"] = FieldTableJson.ToJson(exchange.Arguments),
                    });
                }

                if (exchange.Name.Length == 0)
                {
                    continue;
                }

                foreach (var binding in exchange.GetBindings())
                {
                    var destinationDurable = binding.Destination is Engine.Queues.MessageQueue q ? q.Durable && !q.Exclusive : ((Engine.Exchanges.Exchange)binding.Destination).Durable;
                    var exclusive = binding.Destination is Engine.Queues.MessageQueue { Exclusive: true };
                    if ((exchange.Durable && destinationDurable) || exclusive)
                    {
                        continue;
                    }

                    var row = Views.BindingView.From(binding);
                    bindings.Add(new JsonObject
                    {
                        ["source"] = row.Source,
                        ["vhost"] = row.VirtualHost,
                        ["destination"] = row.Destination,
                        ["destination_type"] = row.ToQueue ? "queue" : "exchange",
                        ["routing_key"] = row.RoutingKey,
                        ["arguments"] = FieldTableJson.ToJson(row.Arguments),
                    });
                }
            }
        }

        definitions["queues"] = queues;
        definitions["exchanges"] = exchanges;
        definitions["bindings"] = bindings;
        return definitions;
    }

    /// <summary>The version fields as RabbitMQ writes them (tools read rabbit_version to know the format), and ours beside.</summary>
    private JsonObject Versioned(JsonObject definitions)
    {
        definitions["rabbit_version"] = context.RabbitMqVersion;
        definitions["rabbitmq_version"] = context.RabbitMqVersion;
        definitions["product_name"] = "Broker";
        definitions["product_version"] = context.ProductVersion;
        return definitions;
    }

    private static Task Export(ApiRequest request, JsonObject definitions)
    {
        if (request.Query("download") is { Length: > 0 } file)
        {
            request.Context.Response.Headers.ContentDisposition = $"attachment; filename=\"{file}\"";
        }

        return request.Json(definitions);
    }

    private async Task Import(ApiRequest request, JsonObject definitions)
    {
        Validate(definitions);
        try
        {
            DefinitionsImport.Apply(context.Engine, definitions);
        }
        catch (InvalidDataException ex)
        {
            throw ApiError.BadRequest(ex.Message);
        }

        await context.Engine.Definitions.WhenPersisted();
        await request.NoContent();
    }

    /// <summary>
    /// Refuses, before anything is applied, what RabbitMQ refuses with an Erlang term: permissions of a
    /// user, and permissions, queues and exchanges in a vhost, that are neither in the broker nor in
    /// the file. Bindings in an unknown vhost are dropped, as RabbitMQ ignores them.
    /// </summary>
    private void Validate(JsonObject definitions)
    {
        var virtualHosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in Items(definitions, "vhosts"))
        {
            virtualHosts.Add(Text(item, "name"));
        }

        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in Items(definitions, "users"))
        {
            users.Add(Text(item, "name"));
        }

        bool VirtualHostKnown(JsonNode? item) => virtualHosts.Contains(Text(item, "vhost")) || context.Engine.TryGetVirtualHost(Text(item, "vhost"), out _);

        foreach (var item in Items(definitions, "permissions"))
        {
            if (!users.Contains(Text(item, "user")) && !context.Engine.Users.TryGet(Text(item, "user"), out _))
            {
                throw ApiError.BadRequest(new JsonArray("no_such_user", Text(item, "user")));
            }

            if (!VirtualHostKnown(item))
            {
                throw ApiError.BadRequest(new JsonArray("no_such_vhost", Text(item, "vhost")));
            }
        }

        foreach (var kind in new[] { "queues", "exchanges" })
        {
            foreach (var item in Items(definitions, kind))
            {
                if (!VirtualHostKnown(item))
                {
                    throw ApiError.BadRequest(new JsonArray("no_such_vhost", Text(item, "vhost")));
                }
            }
        }

        if (definitions["bindings"] is JsonArray bindings)
        {
            definitions["bindings"] = new JsonArray([.. bindings.Where(VirtualHostKnown).Select(item => item?.DeepClone())]);
        }
    }

    private static IEnumerable<JsonNode?> Items(JsonObject definitions, string kind) => definitions[kind] as JsonArray ?? [];

    private static string Text(JsonNode? item, string key) =>
        item?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;

    /// <summary>The body as JSON, or the "file" field of a form upload (the web UI's way); anything but a JSON object is RabbitMQ's failed_to_parse_json.</summary>
    private static async Task<JsonObject> ReadDefinitions(ApiRequest request)
    {
        string text;
        if (request.Context.Request.HasFormContentType)
        {
            var form = await request.Context.Request.ReadFormAsync(request.Context.RequestAborted);
            text = form.Files["file"] is { } file
                ? await new StreamReader(file.OpenReadStream()).ReadToEndAsync(request.Context.RequestAborted)
                : form["file"].ToString();
        }
        else
        {
            using var reader = new StreamReader(request.Context.Request.Body);
            text = await reader.ReadToEndAsync(request.Context.RequestAborted);
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw ApiError.BadRequest("failed_to_parse_json");
        }
        catch (JsonException)
        {
            throw ApiError.BadRequest("failed_to_parse_json");
        }
    }

    private static JsonObject ForVirtualHost(JsonObject all, string virtualHost)
    {
        var result = new JsonObject { ["rabbit_version"] = all["rabbit_version"]?.DeepClone() };
        foreach (var key in VirtualHostScoped)
        {
            var items = new JsonArray();
            if (all[key] is JsonArray source)
            {
                foreach (var item in source)
                {
                    if (item?["vhost"]?.ToString() == virtualHost)
                    {
                        var copy = item.DeepClone().AsObject();

                        // RabbitMQ's per-vhost export keeps the vhost on parameters only.
                        if (key != "parameters")
                        {
                            copy.Remove("vhost");
                        }

                        items.Add(copy);
                    }
                }
            }

            result[key] = items;
        }

        return result;
    }

    /// <summary>A per-vhost file names no vhost: every object goes into <paramref name="virtualHost"/>.</summary>
    private static JsonObject IntoVirtualHost(JsonObject definitions, string virtualHost)
    {
        var result = new JsonObject();
        foreach (var key in VirtualHostScoped)
        {
            var items = new JsonArray();
            if (definitions[key] is JsonArray source)
            {
                foreach (var item in source)
                {
                    if (item is JsonObject obj)
                    {
                        var copy = obj.DeepClone().AsObject();
                        copy["vhost"] = virtualHost;
                        items.Add(copy);
                    }
                }
            }

            result[key] = items;
        }

        return result;
    }
}
