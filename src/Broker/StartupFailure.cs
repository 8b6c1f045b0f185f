namespace Broker;

/// <summary>What a failed start says in its one line.</summary>
internal static class StartupFailure
{
    public static string Describe(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        // These carry a message written for a person (ours, or the OS's "Address already in use");
        // anything else is a bug, named by its type so it can be reported.
        return exception is IOException or UnauthorizedAccessException or InvalidDataException or System.Net.Sockets.SocketException
            ? exception.Message
            : $"{exception.GetType().Name}: {exception.Message}";
    }
}
