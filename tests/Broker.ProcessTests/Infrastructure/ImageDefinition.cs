using System.Text.Json;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// What the repository's Dockerfile gives the broker at run time (its final stage's BROKER_* ENV
/// values, the HEALTHCHECK command, the conf.d defaults it copies), with the image's paths mapped onto
/// a test's directories: a process test runs the executable as the image would, and fails when the
/// Dockerfile changes in a way the test does not know.
/// </summary>
public sealed class ImageDefinition
{
    private ImageDefinition(string repositoryRoot, Dictionary<string, string> environment, string[] healthCheck)
    {
        RepositoryRoot = repositoryRoot;
        Environment = environment;
        HealthCheck = healthCheck;
    }

    public string RepositoryRoot { get; }

    /// <summary>The final stage's ENV variables the broker reads, as written (image paths).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The HEALTHCHECK's exec-form command, e.g. ["/app/broker", "probe"].</summary>
    public string[] HealthCheck { get; }

    public static ImageDefinition Read()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Broker.sln")))
        {
            root = root.Parent;
        }

        var dockerfile = Path.Combine(root?.FullName ?? throw new InvalidOperationException("no Broker.sln above the tests"), "Dockerfile");

        // Instructions with their continuation lines joined; only the final stage's count.
        var instructions = new List<string>();
        var current = string.Empty;
        foreach (var line in File.ReadAllLines(dockerfile).Where(l => !l.TrimStart().StartsWith('#')))
        {
            current += line.TrimEnd();
            if (current.EndsWith('\\'))
            {
                current = current[..^1] + " ";
                continue;
            }

            if (current.StartsWith("FROM ", StringComparison.Ordinal))
            {
                instructions.Clear();
            }

            instructions.Add(current);
            current = string.Empty;
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var env in instructions.Where(i => i.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (var pair in env[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && BrokerProcess.IsBrokerVariable(pair[..equals]))
                {
                    environment[pair[..equals]] = pair[(equals + 1)..].Trim('"');
                }
            }
        }

        var healthCheck = instructions.Single(i => i.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        var command = JsonSerializer.Deserialize<string[]>(healthCheck[(healthCheck.IndexOf(" CMD ", StringComparison.Ordinal) + 5)..])!;
        return new ImageDefinition(root.FullName, environment, command);
    }

    /// <summary>The image's variables with its paths (/etc/rabbitmq, /data, /var/lib/rabbitmq) replaced by the given directories.</summary>
    public Dictionary<string, string> EnvironmentFor(IReadOnlyDictionary<string, string> pathMap) =>
        Environment.ToDictionary(
            pair => pair.Key,
            pair => string.Join(Path.PathSeparator, pair.Value.Split(':').Select(path => pathMap.TryGetValue(path, out var mapped) ? mapped : path)));

    /// <summary>The conf.d files the Dockerfile copies into /etc/rabbitmq/conf.d, copied into a test's config directory.</summary>
    public void CopyConfDefaults(string configDirectory)
    {
        var confD = Directory.CreateDirectory(Path.Combine(configDirectory, "conf.d")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot, "docker"), "*.conf"))
        {
            File.Copy(file, Path.Combine(confD, Path.GetFileName(file)));
        }
    }
}
