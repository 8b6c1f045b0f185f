using System.Diagnostics;

namespace Broker.Protocol.Tests.Methods;

/// <summary>
/// The committed method structs are what tools/generate_protocol.py makes from the spec beside it: a
/// hand edit to a generated file, or a generator change without regenerating, fails here.
/// </summary>
public sealed class GeneratedCodeDriftTests
{
    [Fact]
    public async Task Regenerating_from_the_spec_gives_the_committed_files()
    {
        var root = RepositoryRoot();
        var committed = Path.Combine(root, "src", "Broker.Protocol", "Methods", "Generated");
        var output = Directory.CreateTempSubdirectory("broker-generated-").FullName;
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3")
            {
                ArgumentList = { Path.Combine(root, "tools", "generate_protocol.py"), Path.Combine(root, "tools", "amqp-rabbitmq-0.9.1.json"), output },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var process = Process.Start(start)!;
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"the generator failed: {errors}");

            var expected = Directory.GetFiles(committed, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            var generated = Directory.GetFiles(output, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, generated);
            foreach (var file in generated)
            {
                Assert.True(
                    File.ReadAllText(Path.Combine(committed, file!)) == File.ReadAllText(Path.Combine(output, file!)),
                    $"src/Broker.Protocol/Methods/Generated/{file} differs from what tools/generate_protocol.py makes; regenerate it");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Broker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Broker.sln not found above " + AppContext.BaseDirectory);
    }
}
