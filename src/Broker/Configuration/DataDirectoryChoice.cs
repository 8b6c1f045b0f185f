namespace Broker.Configuration;

/// <summary>
/// <c>--data-dir</c> may list directories separated by the path separator (':' on Linux); the first
/// that exists is used, else the last, which is created. The image lists /data, the path of its
/// earlier versions, before RabbitMQ's /var/lib/rabbitmq: a volume mounted at either is where the data goes.
/// </summary>
internal static class DataDirectoryChoice
{
    public static string Choose(string value)
    {
        var candidates = value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (candidates.Length == 0)
        {
            throw new ArgumentException($"--data-dir: '{value}' names no directory");
        }

        return candidates.FirstOrDefault(Directory.Exists) ?? candidates[^1];
    }
}
