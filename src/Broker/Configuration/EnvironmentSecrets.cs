namespace Broker.Configuration;

/// <summary>
/// A variable or its <c>_FILE</c> twin naming a file that holds the value (a Docker or Kubernetes
/// secret), as RabbitMQ's image read RABBITMQ_DEFAULT_PASS_FILE until 3.9. The file's trailing line
/// break is not part of the value.
/// </summary>
internal static class EnvironmentSecrets
{
    public static string? Read(Func<string, string?> environment, string variable)
    {
        var value = environment(variable);
        var file = environment(variable + "_FILE");
        if (file is not { Length: > 0 })
        {
            return value;
        }

        if (value is { Length: > 0 })
        {
            throw new ConfigurationException($"both {variable} and {variable}_FILE are set: use one");
        }

        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{variable}_FILE: cannot read '{file}': {ex.Message}");
        }
    }
}
