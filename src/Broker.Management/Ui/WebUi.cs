using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Broker.Management.Ui;

/// <summary>
/// The web UI's static files (wwwroot/, embedded in this assembly), served on the management port for
/// every path outside /api: "/" is index.html, unknown files are 404. Files are read once at start-up
/// (a few dozen kilobytes) so a request never touches the assembly's resource streams.
/// </summary>
internal sealed class WebUi
{
    private const string Prefix = "wwwroot/";

    private readonly FrozenDictionary<string, StaticFile> _files;

    public WebUi()
    {
        var assembly = typeof(WebUi).Assembly;
        var files = new Dictionary<string, StaticFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                files[name[Prefix.Length..]] = Load(assembly, name);
            }
        }

        _files = files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The files served, by path relative to wwwroot (for tests).</summary>
    public IEnumerable<string> Paths => _files.Keys;

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        var path = request.Path.Value ?? "/";
        var key = path is "/" or "" ? "index.html" : path.TrimStart('/');
        if (!_files.TryGetValue(key, out var file))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("Not found", http.RequestAborted);
            return;
        }

        // File names carry no content hash, so the browser revalidates each time and gets a 304 when unchanged.
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = file.ETag;
        response.Headers.XContentTypeOptions = "nosniff";
        if (key == "index.html")
        {
            // Scripts only from our own origin: the UI loads nothing from elsewhere.
            response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'";
        }

        if (request.Headers.IfNoneMatch.ToString() == file.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = file.ContentType;
        response.ContentLength = file.Content.Length;
        if (HttpMethods.IsGet(request.Method))
        {
            await response.Body.WriteAsync(file.Content, http.RequestAborted);
        }
    }

    private static StaticFile Load(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8))}\"").ToString();
        return new StaticFile(content, ContentType(name), etag);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json",
        ".md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record StaticFile(byte[] Content, string ContentType, string ETag);
}
