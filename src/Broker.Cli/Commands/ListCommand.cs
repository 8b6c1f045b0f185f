using System.Globalization;
using System.Text.Json;
using Broker.Cli.Arguments;
using Broker.Cli.Http;
using Broker.Cli.Output;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>list KIND [--vhost V] [--columns a,b.c] [--page-size N]</c>: every object of a kind, in all
/// vhosts or one. Lists the API pages (queues, exchanges, vhosts, connections, channels) are fetched a
/// page at a time, so a hundred thousand queues never come in one answer; the others come whole.
/// </summary>
internal static class ListCommand
{
    /// <summary>RabbitMQ's largest page.</summary>
    public const int MaxPageSize = 500;

    public static PreparedCommand Prepare(CommandLine line)
    {
        var word = line.NextKeyword() ?? throw new UsageException($"list what? one of {string.Join(", ", ObjectKind.All.Select(k => k.Name))}");
        var kind = ObjectKind.Find(word) ?? throw new UsageException($"cannot list '{word}': one of {string.Join(", ", ObjectKind.All.Select(k => k.Name))}");
        var vhost = kind.InVhost ? line.Option("vhost") : null;
        var columnsOption = line.Option("columns");
        var pageSize = line.IntOption("page-size", 1, MaxPageSize) ?? MaxPageSize;
        string[] columns = columnsOption is not null
            ? columnsOption.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : vhost is null && kind.InVhost ? ["vhost", .. kind.Columns] : kind.Columns;
        if (columns.Length == 0)
        {
            throw new UsageException("--columns names no column");
        }

        var path = vhost is null ? kind.AllPath : string.Format(CultureInfo.InvariantCulture, kind.VhostPathFormat!, ApiPath.Segment(vhost));
        return context => RunAsync(context, path, columns, chosen: columnsOption is not null, pageSize);
    }

    private static async Task<int> RunAsync(CommandContext context, string path, string[] columns, bool chosen, int pageSize)
    {
        var table = context.Format == OutputFormat.Table ? new TableWriter(columns) : null;
        var json = table is null ? new JsonArrayWriter(context.Out) : null;

        // Only the fields shown are asked for (by their top-level name; nested ones are picked here),
        // and JSON is whole objects unless --columns says otherwise. An API that ignores "columns"
        // sends whole objects, and the table is the same.
        var requested = table is null && !chosen ? null : string.Join(",", columns.Select(c => c.Split('.')[0]).Distinct(StringComparer.Ordinal));
        await foreach (var item in ItemsAsync(context.Client, path, pageSize, requested))
        {
            if (table is not null)
            {
                table.Add([.. columns.Select(column => JsonCell.Render(item, column))]);
            }
            else
            {
                json!.Add(item);
            }
        }

        table?.Write(context.Out);
        json?.Finish();
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The items of a list, page after page: an answer that is an array is the whole list (the API does
    /// not page that kind), an object with "items" is one page of "page_count".
    /// </summary>
    internal static async IAsyncEnumerable<JsonElement> ItemsAsync(ManagementClient client, string path, int pageSize, string? columns)
    {
        for (var page = 1; ; page++)
        {
            var query = ApiPath.Query(
                ("page", page.ToString(CultureInfo.InvariantCulture)),
                ("page_size", pageSize.ToString(CultureInfo.InvariantCulture)),
                ("columns", columns));
            var response = await client.GetAsync(path + query).ConfigureAwait(false);
            if (page > 1 && !response.IsSuccess && ManagementApiException.ErrorOf(response.Body).Error == "page_out_of_range")
            {
                // Objects went away since the first page and the list got shorter: it has been read.
                yield break;
            }

            using var document = response.EnsureSuccess().Json();
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in root.EnumerateArray())
                {
                    yield return item;
                }

                yield break;
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new ManagementApiException(response, $"GET /{response.Path}: the answer is neither a list nor a page of one");
            }

            foreach (var item in items.EnumerateArray())
            {
                yield return item;
            }

            var pageCount = root.TryGetProperty("page_count", out var count) && count.TryGetInt32(out var n) ? n : page;
            if (page >= pageCount || items.GetArrayLength() == 0)
            {
                yield break;
            }
        }
    }
}
