namespace Broker.Cli.Tests.Support;

/// <summary>What one run of the CLI did.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs the CLI in process with captured output and an environment of the test's own (never
/// the process's, so a BROKER_MANAGEMENT_URL set for the end-to-end tests changes no unit test).</summary>
internal static class Admin
{
    public static Task<CliResult> RunAsync(HttpMessageHandler? api, params string[] args) =>
        RunAsync(api, new Dictionary<string, string>(), args);

    public static async Task<CliResult> RunAsync(HttpMessageHandler? api, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = await CliApp.RunAsync(args, stdout, stderr, api, name => environment.GetValueOrDefault(name));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
