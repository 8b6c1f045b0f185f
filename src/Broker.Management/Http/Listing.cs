using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Broker.Management.Http;

/// <summary>
/// Writes a list as RabbitMQ's management API does: all items as an array, or, with <c>page</c>, one
/// page in an object with counts, filtered by <c>name</c> (a case-insensitive substring, or regex
/// with <c>use_regex=true</c>; RabbitMQ filters only pages); sorted by <c>sort</c> (a field, dotted
/// for nested ones) and <c>sort_reverse</c>; cut down to <c>columns</c>. Sorting by name (the
/// default) happens before any JSON is built, so a page of 100,000 queues costs one page of views.
/// </summary>
public static class Listing
{
    private const int MaxPageSize = 500;

    /// <param name="sortKey">
    /// For long lists: the value of a sort field read straight from the item (null when the field is not
    /// one it knows), so sorting 100,000 queues by depth does not build 100,000 views first.
    /// </param>
    public static Task Write<T>(ApiRequest request, List<T> items, Func<T, string> name, Func<T, JsonObject> view, Func<T, string>? group = null, Func<T, string, IComparable?>? sortKey = null)
    {
        var (page, pageSize) = Pagination(request);
        var totalCount = items.Count;
        var filter = page is null ? null : NameFilter(request);
        if (filter is not null)
        {
            items = items.FindAll(item => filter(name(item)));
        }

        // As lists:sublist in RabbitMQ: a page may start just past the end (empty), not further.
        if (page is not null && (long)(page.Value - 1) * pageSize > items.Count)
        {
            throw new ApiError(400, "page_out_of_range", $"Page out of range, page: {page.Value} page size: {pageSize}, len: {items.Count}");
        }

        var sort = request.Query("sort");
        var reverse = request.Query("sort_reverse") == "true";
        List<JsonObject> views;
        int filteredCount = items.Count;
        if (string.IsNullOrEmpty(sort) || sort == "name")
        {
            items.Sort((a, b) =>
            {
                var byGroup = group is null ? 0 : string.CompareOrdinal(group(a), group(b));
                return byGroup != 0 ? byGroup : string.CompareOrdinal(name(a), name(b));
            });
            if (reverse)
            {
                items.Reverse();
            }

            var selected = page is null ? items : items.GetRange(Math.Min((page.Value - 1) * pageSize, items.Count), Math.Max(0, Math.Min(pageSize, items.Count - ((page.Value - 1) * pageSize))));
            views = selected.ConvertAll(item => view(item));
        }
        else if (sortKey is not null && items.Count > 0 && sortKey(items[0], sort) is not null)
        {
            var keys = items.ConvertAll(item => sortKey(item, sort));
            var order = Enumerable.Range(0, items.Count).ToArray();
            Array.Sort(order, (a, b) => keys[a] is { } ka && keys[b] is { } kb ? ka.CompareTo(kb) : (keys[a] is null ? 0 : 1) - (keys[b] is null ? 0 : 1));
            if (reverse)
            {
                Array.Reverse(order);
            }

            var start = page is null ? 0 : Math.Min((page.Value - 1) * pageSize, order.Length);
            var count = page is null ? order.Length : Math.Max(0, Math.Min(pageSize, order.Length - start));
            views = new List<JsonObject>(count);
            for (var i = start; i < start + count; i++)
            {
                views.Add(view(items[order[i]]));
            }
        }
        else
        {
            views = items.ConvertAll(item => view(item));
            var keys = views.ConvertAll(v => SortKey(v, sort));
            var order = Enumerable.Range(0, views.Count).ToArray();
            Array.Sort(order, (a, b) => Compare(keys[a], keys[b]));
            if (reverse)
            {
                Array.Reverse(order);
            }

            var sorted = new List<JsonObject>(order.Length);
            foreach (var index in order)
            {
                sorted.Add(views[index]);
            }

            views = page is null ? sorted : sorted.GetRange(Math.Min((page.Value - 1) * pageSize, sorted.Count), Math.Max(0, Math.Min(pageSize, sorted.Count - ((page.Value - 1) * pageSize))));
        }

        var columns = request.Query("columns");
        var array = new JsonArray();
        foreach (var item in views)
        {
            array.Add(string.IsNullOrEmpty(columns) ? item : Columns(item, columns));
        }

        if (page is null)
        {
            return request.Json(array);
        }

        return request.Json(new JsonObject
        {
            ["filtered_count"] = filteredCount,
            ["item_count"] = array.Count,
            ["items"] = array,
            ["page"] = page.Value,
            ["page_count"] = (filteredCount + pageSize - 1) / pageSize,
            ["page_size"] = pageSize,
            ["total_count"] = totalCount,
        }, wholeObject: true);
    }

    /// <summary>
    /// The page asked for: parameters that are not integers are RabbitMQ's "Pagination parameters are
    /// invalid"; integers out of range (a page under 1, a size under 1 or over 500) name both.
    /// </summary>
    private static (int? Page, int PageSize) Pagination(ApiRequest request)
    {
        var pageText = request.Query("page");
        var sizeText = request.Query("page_size");
        if (pageText is null)
        {
            return (null, MaxPageSize);
        }

        var size = 100;
        if (!int.TryParse(pageText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var page)
            || (sizeText is not null && !int.TryParse(sizeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out size)))
        {
            throw InvalidParameters();
        }

        if (page < 1 || size < 1 || size > MaxPageSize)
        {
            throw new ApiError(400, "invalid_pagination_parameters",
                $"Invalid pagination parameters: page number {page.ToString(CultureInfo.InvariantCulture)}, page size {(sizeText is null ? "undefined" : size.ToString(CultureInfo.InvariantCulture))}");
        }

        return (page, size);
    }

    private static ApiError InvalidParameters() => ApiError.BadRequest("Pagination parameters are invalid");

    private static Func<string, bool>? NameFilter(ApiRequest request)
    {
        var name = request.Query("name");
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (request.Query("use_regex") == "true")
        {
            Regex regex;
            try
            {
                regex = new Regex(name, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException)
            {
                throw InvalidParameters();
            }

            return regex.IsMatch;
        }

        return candidate => candidate.Contains(name, StringComparison.OrdinalIgnoreCase);
    }

    private static JsonNode? SortKey(JsonObject item, string path)
    {
        JsonNode? node = item;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject obj ? obj[part] : null;
        }

        return node;
    }

    private static int Compare(JsonNode? a, JsonNode? b)
    {
        if (a is JsonValue va && b is JsonValue vb)
        {
            if (va.TryGetValue<double>(out var da) && vb.TryGetValue<double>(out var db))
            {
                return da.CompareTo(db);
            }

            if (va.TryGetValue<long>(out var la) && vb.TryGetValue<long>(out var lb))
            {
                return la.CompareTo(lb);
            }

            return string.CompareOrdinal(va.ToString(), vb.ToString());
        }

        return (a is null ? 0 : 1) - (b is null ? 0 : 1);
    }

    /// <summary>The named fields, in the item's order; a dotted column keeps its whole top-level field, as RabbitMQ 3.10's does.</summary>
    /// <summary>The item cut down to the top-level fields the columns name (a dotted column keeps its whole field).</summary>
    internal static JsonObject Columns(JsonObject item, string columns)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns.Split(','))
        {
            wanted.Add(column.Split('.')[0]);
        }

        var result = new JsonObject();
        foreach (var (key, value) in item)
        {
            if (wanted.Contains(key))
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }
}
