using Broker.Engine.Errors;

namespace Broker.Management.Http;

/// <summary>An engine refusal as the management API answers it (RabbitMQ's channel error inside an HTTP reply).</summary>
public static class EngineErrors
{
    public static ApiError ToApi(EngineError error) => error.Kind switch
    {
        ErrorKind.NotFound => new ApiError(404, "not_found", "NOT_FOUND - " + error.Text),
        ErrorKind.AccessRefused => ApiError.NotAuthorised("Access refused."),
        _ => ApiError.BadRequest(error.Text),
    };

    public static void ThrowIfError(EngineError error)
    {
        if (error.IsError)
        {
            throw ToApi(error);
        }
    }
}
