namespace Broker.Management.Http;

/// <summary>A handler gets the request and the path's variable segments, in order.</summary>
public delegate Task ApiHandler(ApiRequest request, string[] args);

/// <summary>
/// Matches decoded path segments against patterns like "api/queues/{}/{}" ("{}" takes any one
/// segment). A path that matches with another method is 405 with an Allow header, as RabbitMQ's;
/// a path that matches nothing is 404.
/// </summary>
public sealed class ApiRouter
{
    private readonly List<(string[] Pattern, Dictionary<string, ApiHandler> Methods)> _routes = [];

    public ApiRouter Map(string pattern, string method, ApiHandler handler)
    {
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (existing, methods) in _routes)
        {
            if (existing.AsSpan().SequenceEqual(parts))
            {
                methods[method] = handler;
                return this;
            }
        }

        _routes.Add((parts, new Dictionary<string, ApiHandler>(StringComparer.OrdinalIgnoreCase) { [method] = handler }));
        return this;
    }

    public ApiRouter Get(string pattern, ApiHandler handler) => Map(pattern, "GET", handler);

    public ApiRouter Put(string pattern, ApiHandler handler) => Map(pattern, "PUT", handler);

    public ApiRouter Post(string pattern, ApiHandler handler) => Map(pattern, "POST", handler);

    public ApiRouter Delete(string pattern, ApiHandler handler) => Map(pattern, "DELETE", handler);

    public Task Dispatch(ApiRequest request)
    {
        foreach (var (pattern, methods) in _routes)
        {
            if (!Matches(pattern, request.Segments, out var args))
            {
                continue;
            }

            var method = request.Method == "HEAD" ? "GET" : request.Method;
            if (methods.TryGetValue(method, out var handler))
            {
                return handler(request, args);
            }

            var allowed = new List<string>();
            foreach (var name in methods.Keys)
            {
                allowed.Add(name);
                if (name == "GET")
                {
                    allowed.Add("HEAD");
                }
            }

            allowed.Add("OPTIONS");
            request.Context.Response.StatusCode = 405;
            request.Context.Response.Headers.Allow = string.Join(", ", allowed);
            return Task.CompletedTask;
        }

        throw ApiError.NotFound();
    }

    private static bool Matches(string[] pattern, string[] segments, out string[] args)
    {
        args = [];
        if (pattern.Length != segments.Length)
        {
            return false;
        }

        var count = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == "{}")
            {
                count++;
            }
            else if (!string.Equals(pattern[i], segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        args = new string[count];
        var at = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == "{}")
            {
                args[at++] = segments[i];
            }
        }

        return true;
    }
}
