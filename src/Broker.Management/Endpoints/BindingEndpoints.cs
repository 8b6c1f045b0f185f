using System.Text.Json.Nodes;
using Broker.Engine.VirtualHosts;
using Broker.Management.Http;
using Broker.Management.Views;
using Broker.Storage.Definitions;

namespace Broker.Management.Endpoints;

/// <summary>
/// /api/bindings in all four directions: everything, a vhost's, exchange → queue and exchange →
/// exchange (list and create with POST, which answers 201 with a Location), one binding by its
/// properties key (show, delete), and an exchange's or queue's bindings.
/// </summary>
internal sealed class BindingEndpoints(ManagementContext context)
{
    public void Register(ApiRouter router)
    {
        router.Get("api/bindings", (r, _) => Listing.Write(r, Rows(r, null), Key, Build));
        router.Get("api/bindings/{}", (r, a) =>
        {
            r.VirtualHost(a[0]);
            return Listing.Write(r, Rows(r, a[0]), Key, Build);
        });
        foreach (var kind in new[] { "q", "e" })
        {
            var toQueue = kind == "q";
            router.Get($"api/bindings/{{}}/e/{{}}/{kind}/{{}}", (r, a) => Listing.Write(r, Between(r, a[0], a[1], a[2], toQueue), Key, Build));
            router.Post($"api/bindings/{{}}/e/{{}}/{kind}/{{}}", (r, a) => Create(r, a, toQueue));
            router.Get($"api/bindings/{{}}/e/{{}}/{kind}/{{}}/{{}}", (r, a) =>
            {
                foreach (var row in Between(r, a[0], a[1], a[2], toQueue))
                {
                    if (BindingView.Matches(a[3], row.RoutingKey, row.Arguments))
                    {
                        return r.Json(BindingView.Build(row));
                    }
                }

                throw ApiError.NotFound();
            });
            router.Delete($"api/bindings/{{}}/e/{{}}/{kind}/{{}}/{{}}", (r, a) => Remove(r, a, toQueue));
        }

        router.Get("api/exchanges/{}/{}/bindings/source", (r, a) => Listing.Write(r, Of(r, a[0], ExchangeEndpoints.PathName(a[1]), source: true), Key, Build));
        router.Get("api/exchanges/{}/{}/bindings/destination", (r, a) => Listing.Write(r, Of(r, a[0], ExchangeEndpoints.PathName(a[1]), source: false), Key, Build));
        router.Get("api/queues/{}/{}/bindings", (r, a) =>
        {
            var virtualHost = r.VirtualHost(a[0]);
            if (!virtualHost.TryGetQueue(a[1], out var queue))
            {
                throw ApiError.NotFound();
            }

            List<BindingView.Row> rows = [BindingView.Default(queue)];
            foreach (var row in AllRows(virtualHost))
            {
                if (row.ToQueue && row.Destination == queue.Name && row.Source.Length > 0)
                {
                    rows.Add(row);
                }
            }

            return Listing.Write(r, rows, Key, Build);
        });
    }

    private static string Key(BindingView.Row row) => row.VirtualHost + "\0" + row.Source + "\0" + row.Destination + "\0" + row.RoutingKey;

    private static JsonObject Build(BindingView.Row row) => BindingView.Build(row);

    /// <summary>Every binding of a vhost: the default exchange's implicit ones first, then each exchange's.</summary>
    public static List<BindingView.Row> AllRows(VirtualHost virtualHost)
    {
        List<BindingView.Row> rows = [];
        foreach (var queue in virtualHost.Queues)
        {
            rows.Add(BindingView.Default(queue));
        }

        foreach (var exchange in virtualHost.Exchanges)
        {
            if (exchange.Name.Length == 0)
            {
                continue;
            }

            foreach (var binding in exchange.GetBindings())
            {
                rows.Add(BindingView.From(binding));
            }
        }

        return rows;
    }

    private List<BindingView.Row> Rows(ApiRequest request, string? vhost)
    {
        List<BindingView.Row> rows = [];
        foreach (var virtualHost in context.Engine.VirtualHosts)
        {
            if ((vhost is null || virtualHost.Name == vhost)
                && (Access.SeesObjectsOf(context.Engine, request.User, virtualHost.Name)))
            {
                rows.AddRange(AllRows(virtualHost));
            }
        }

        return rows;
    }

    /// <summary>The bindings from one exchange to one queue or exchange: none (not 404) when either does not exist, as RabbitMQ lists them.</summary>
    private static List<BindingView.Row> Between(ApiRequest request, string vhost, string source, string destination, bool toQueue)
    {
        var virtualHost = request.VirtualHost(vhost);
        source = ExchangeEndpoints.PathName(source);
        destination = toQueue ? destination : ExchangeEndpoints.PathName(destination);
        List<BindingView.Row> rows = [];
        foreach (var row in AllRows(virtualHost))
        {
            if (row.Source == source && row.Destination == destination && row.ToQueue == toQueue)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static List<BindingView.Row> Of(ApiRequest request, string vhost, string exchangeName, bool source)
    {
        var virtualHost = request.VirtualHost(vhost);
        if (!virtualHost.TryGetExchange(exchangeName, out _))
        {
            throw ApiError.NotFound();
        }

        List<BindingView.Row> rows = [];
        foreach (var row in AllRows(virtualHost))
        {
            if (source ? row.Source == exchangeName : !row.ToQueue && row.Destination == exchangeName)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private async Task Create(ApiRequest request, string[] args, bool toQueue)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var source = ExchangeEndpoints.PathName(args[1]);
        var destination = toQueue ? args[2] : ExchangeEndpoints.PathName(args[2]);
        if (!virtualHost.TryGetExchange(source, out _))
        {
            throw new ApiError(404, "not_found", $"no exchange '{source}' in vhost '{virtualHost.Name}'");
        }

        if (toQueue ? !virtualHost.TryGetQueue(destination, out _) : !virtualHost.TryGetExchange(destination, out _))
        {
            throw new ApiError(404, "not_found", $"no {(toQueue ? "queue" : "exchange")} '{destination}' in vhost '{virtualHost.Name}'");
        }

        var body = await request.ReadObjectAsync();
        var routingKey = body["routing_key"]?.ToString() ?? string.Empty;
        var arguments = FieldTableJson.FromJson(body["arguments"]);
        var permissions = request.PermissionsIn(virtualHost.Name);
        if (!permissions.CanRead(source) || !permissions.CanWrite(destination))
        {
            throw ApiError.NotAuthorised("Access refused.");
        }

        var error = toQueue
            ? virtualHost.BindQueue(destination, source, routingKey, arguments, connection: null)
            : virtualHost.BindExchange(destination, source, routingKey, arguments);
        EngineErrors.ThrowIfError(error);
        await context.Engine.Definitions.WhenPersisted();

        // RabbitMQ's Location is relative to the POST's URL: "DESTINATION/PROPERTIES_KEY", each quoted.
        request.Context.Response.Headers.Location =
            BindingView.QuotePlus(args[2]) + "/" + BindingView.QuotePlus(BindingView.PropertiesKey(routingKey, arguments));
        await request.Created();
    }

    private async Task Remove(ApiRequest request, string[] args, bool toQueue)
    {
        var virtualHost = request.VirtualHostForWrite(args[0]);
        var source = ExchangeEndpoints.PathName(args[1]);
        var destination = toQueue ? args[2] : ExchangeEndpoints.PathName(args[2]);
        foreach (var row in AllRows(virtualHost))
        {
            if (row.Source != source || row.Destination != destination || row.ToQueue != toQueue
                || !BindingView.Matches(args[3], row.RoutingKey, row.Arguments))
            {
                continue;
            }

            var permissions = request.PermissionsIn(virtualHost.Name);
            if (!permissions.CanRead(source) || !permissions.CanWrite(destination))
            {
                throw ApiError.NotAuthorised("Access refused.");
            }

            var error = toQueue
                ? virtualHost.UnbindQueue(destination, source, row.RoutingKey, row.Arguments, connection: null)
                : virtualHost.UnbindExchange(destination, source, row.RoutingKey, row.Arguments);
            EngineErrors.ThrowIfError(error);
            await context.Engine.Definitions.WhenPersisted();
            await request.NoContent();
            return;
        }

        throw ApiError.NotFound();
    }
}
