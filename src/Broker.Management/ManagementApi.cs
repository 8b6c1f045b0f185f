using Broker.Hosting;
using Broker.Management.Endpoints;
using Broker.Management.Http;
using Broker.Management.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Broker.Management;

/// <summary>
/// The management HTTP API's one request handler: authenticate (basic auth with the broker's users),
/// route, answer; errors with RabbitMQ's status codes and {"error","reason"} bodies. A failure of ours
/// is a 500 and an error line in the log.
/// </summary>
internal sealed class ManagementApi
{
    private readonly ManagementContext _context;
    private readonly ApiRouter _router = new();
    private readonly ILogger _logger;

    public ManagementApi(BrokerRuntime runtime, RateSampler sampler, ILoggerFactory loggerFactory)
    {
        _context = new ManagementContext(runtime, sampler);
        _logger = loggerFactory.CreateLogger("Broker.Management");
        new OverviewEndpoints(_context).Register(_router);
        new HealthEndpoints(_context).Register(_router);
        new VirtualHostEndpoints(_context).Register(_router);
        new UserEndpoints(_context).Register(_router);
        new ExchangeEndpoints(_context).Register(_router);
        new ExplainEndpoints().Register(_router);
        new QueueEndpoints(_context).Register(_router);
        new BindingEndpoints(_context).Register(_router);
        new ConnectionEndpoints(_context).Register(_router);
        new DefinitionEndpoints(_context).Register(_router);
        new PolicyEndpoints(_context).Register(_router);
        new SettingsEndpoints(_context).Register(_router);
    }

    public ManagementContext Context => _context;

    public async Task HandleAsync(HttpContext http)
    {
        var request = new ApiRequest(http, _context.Engine);
        try
        {
            if (request.Segments.Length == 0 || request.Segments[0] != "api")
            {
                throw ApiError.NotFound();
            }

            request.User = BasicAuthentication.Authenticate(http, _context.Engine.Users, _context.Runtime.Options.Server.LoopbackUsers);
            http.Response.Headers.CacheControl = "no-cache";
            await _router.Dispatch(request);
        }
        catch (ApiError error) when (!http.Response.HasStarted)
        {
            if (error.Error.Length == 0)
            {
                http.Response.StatusCode = error.Status;
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"RabbitMQ Management\"";
                return;
            }

            await request.Error(error);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !http.Response.HasStarted)
        {
            Log.RequestFailed(_logger, ex, http.Request.Method, http.Request.Path);
            await request.Error(new ApiError(500, "internal_server_error", ex.Message));
        }
    }
}
