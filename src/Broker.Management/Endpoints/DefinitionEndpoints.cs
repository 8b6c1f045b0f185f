using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Management.Http;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>
/// /api/definitions: export (what survives a restart, in the format --load-definitions and RabbitMQ
/// read) and import, for the whole broker or one vhost. An import that the broker would refuse is a
/// 400 naming the object.
/// </summary>
internal sealed class DefinitionEndpoints(ManagementContext context)
{
    private static readonly string[] VirtualHostScoped = ["queues", "exchanges", "bindings", "policies", "parameters"];

    public void Register(ApiRouter router)
    {
        router.Get("api/definitions", (r, _) =>
        {
            r.RequireAdministrator();
            return Export(r, context.Runtime.Storage.ExportDefinitions());
        });
        router.Post("api/definitions", async (r, _) =>
        {
            r.RequireAdministrator();
            await Import(r, await ReadDefinitions(r));
        });
        router.Get("api/definitions/{}", (r, a) =>
        {
            r.RequireAdministrator();
            r.VirtualHost(a[0]);
            return Export(r, ForVirtualHost(context.Runtime.Storage.ExportDefinitions(), a[0]));
        });
        router.Post("api/definitions/{}", async (r, a) =>
        {
            r.RequireAdministrator();
            r.VirtualHost(a[0]);
            var definitions = await ReadDefinitions(r);
            await Import(r, IntoVirtualHost(definitions, a[0]));
        });
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

    /// <summary>The body as JSON, or the "file" field of a form upload (the web UI's way).</summary>
    private static async Task<JsonObject> ReadDefinitions(ApiRequest request)
    {
        if (request.Context.Request.HasFormContentType)
        {
            var form = await request.Context.Request.ReadFormAsync(request.Context.RequestAborted);
            var text = form.Files["file"] is { } file
                ? await new StreamReader(file.OpenReadStream()).ReadToEndAsync(request.Context.RequestAborted)
                : form["file"].ToString();
            try
            {
                return JsonNode.Parse(text) as JsonObject ?? throw ApiError.BadRequest("not_json");
            }
            catch (JsonException)
            {
                throw ApiError.BadRequest("not_json");
            }
        }

        return await request.ReadObjectAsync();
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
                        copy.Remove("vhost");
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
