using System.Diagnostics;
using System.Text;

namespace Broker.InteropTests;

/// <summary>The outcome of one client process.</summary>
public sealed record ClientResult(string Command, int? ExitCode, bool TimedOut, TimeSpan Elapsed, string StandardOutput, string StandardError)
{
    public string Describe()
    {
        var builder = new StringBuilder();
        builder.Append("command: ").AppendLine(Command);
        builder.Append(TimedOut ? "timed out (killed) after " : $"exit code {ExitCode} after ")
            .Append(Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).AppendLine(" s");
        builder.AppendLine("--- stdout ---").AppendLine(StandardOutput.TrimEnd());
        builder.AppendLine("--- stderr ---").AppendLine(StandardError.TrimEnd());
        return builder.ToString();
    }
}

/// <summary>
/// Runs the client scripts under clients/ (located in the repository, found by walking up to Broker.sln)
/// as child processes, with the broker URI and the scenario name as arguments.
/// </summary>
public static class ClientRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> LazyRepositoryRoot = new(FindRepositoryRoot);

    public static string RepositoryRoot => LazyRepositoryRoot.Value;

    public static string ClientsDirectory => Path.Combine(RepositoryRoot, "tests", "Broker.InteropTests", "clients");

    /// <summary>Debian's python3 (python3-pika, python3-kombu); BROKER_INTEROP_PYTHON overrides it.</summary>
    public static string Python => Environment.GetEnvironmentVariable("BROKER_INTEROP_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>Debian's ruby (ruby-bunny); BROKER_INTEROP_RUBY overrides it.</summary>
    public static string Ruby => Environment.GetEnvironmentVariable("BROKER_INTEROP_RUBY") is { Length: > 0 } ruby ? ruby : "/usr/bin/ruby";

    /// <summary>node from PATH; BROKER_INTEROP_NODE overrides it.</summary>
    public static string Node => Environment.GetEnvironmentVariable("BROKER_INTEROP_NODE") is { Length: > 0 } node ? node : "node";

    public static async Task<ClientResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["PYTHONUNBUFFERED"] = "1";
        startInfo.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        startInfo.Environment["NODE_NO_WARNINGS"] = "1";

        var command = fileName + " " + string.Join(' ', arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return new ClientResult(command, null, false, stopwatch.Elapsed, string.Empty,
                $"could not start {fileName}: {exception.Message} (run tests/Broker.InteropTests/install-clients.sh)");
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var timedOut = false;
        using (var cancellation = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        // The streams end when every process holding them (including grandchildren) has exited.
        var output = await WithDeadline(stdout, TimeSpan.FromSeconds(10));
        var error = await WithDeadline(stderr, TimeSpan.FromSeconds(10));
        return new ClientResult(command, timedOut ? null : process.ExitCode, timedOut, stopwatch.Elapsed, output, error);
    }

    /// <summary>Runs a scenario and fails the test unless the client exits 0 and printed "PASS client:scenario".</summary>
    public static async Task AssertScenarioPassesAsync(
        ITestOutputHelper output, string client, string scenario, string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var result = await RunAsync(fileName, arguments, workingDirectory, timeout ?? DefaultTimeout);
        output.WriteLine(result.Describe());
        var marker = $"PASS {client}:{scenario}";
        if (result.TimedOut || result.ExitCode != 0 || !result.StandardOutput.Contains(marker, StringComparison.Ordinal))
        {
            Assert.Fail($"{client} scenario {scenario} failed (expected exit code 0 and \"{marker}\" on stdout)\n{result.Describe()}");
        }
    }

    private static async Task<string> WithDeadline(Task<string> read, TimeSpan deadline)
    {
        var finished = await Task.WhenAny(read, Task.Delay(deadline));
        return finished == read ? await read : "(output still open after the process exited)";
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Broker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Broker.sln not found in {AppContext.BaseDirectory} or any parent directory");
    }
}
