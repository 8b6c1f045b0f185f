using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// One run of the broker executable as a child process: started on a data directory with a free port,
/// its stdout and stderr kept in memory (<see cref="Log"/>), stopped by SIGKILL (<see cref="Kill"/>, a
/// crash) or SIGTERM (<see cref="StopGracefullyAsync"/>). Dispose kills it if it is still running.
/// </summary>
public sealed partial class BrokerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrokerProcess(Process process, string dataDirectory, string name)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Name = name;
    }

    /// <summary>The broker executable the tests start (the build of the same configuration as the tests).</summary>
    public static string ExecutablePath { get; } = LocateExecutable();

    /// <summary>A label for logs and messages, e.g. "run 3".</summary>
    public string Name { get; }

    public string DataDirectory { get; }

    public int Pid { get; private set; }

    public int Port { get; private set; }

    public Uri Uri => new($"amqp://guest:guest@127.0.0.1:{Port}/");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the broker and waits until it logs the address it listens on.</summary>
    public static Task<BrokerProcess> StartAsync(string dataDirectory, string name, params string[] extraArguments) =>
        StartAsync(dataDirectory, name, null, extraArguments);

    /// <summary>Starts the broker with extra environment variables and waits until it listens.</summary>
    public static async Task<BrokerProcess> StartAsync(string dataDirectory, string name, IReadOnlyDictionary<string, string>? environment, params string[] extraArguments)
    {
        var broker = Launch(dataDirectory, name, extraArguments, environment);
        var listening = broker._listening.Task;
        var exited = broker._process.WaitForExitAsync();
        var finished = await Task.WhenAny(listening, exited, Task.Delay(StartTimeout));
        if (finished != listening)
        {
            var reason = finished == exited
                ? $"exited with code {broker._process.ExitCode} before listening"
                : $"did not log 'listening on amqp://...' within {StartTimeout.TotalSeconds:F0} s";
            broker.Dispose();
            throw new InvalidOperationException($"broker ({name}) {reason}.\n--- broker log ---\n{broker.Log}");
        }

        broker.Port = await listening;
        return broker;
    }

    /// <summary>
    /// Starts the broker as the image runs it: with only the given arguments (ports, data directory and
    /// config come from the environment and config files), and waits for RabbitMQ's readiness line.
    /// </summary>
    public static async Task<BrokerProcess> StartAsImageAsync(string workingDirectory, string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var broker = Launch(workingDirectory, name, arguments, environment, withTestOptions: false);
        var ready = broker._ready.Task;
        var exited = broker._process.WaitForExitAsync();
        var finished = await Task.WhenAny(ready, exited, Task.Delay(StartTimeout));
        if (finished != ready)
        {
            var reason = finished == exited
                ? $"exited with code {broker._process.ExitCode} before it was ready"
                : $"did not log 'Server startup complete' within {StartTimeout.TotalSeconds:F0} s";
            broker.Dispose();
            throw new InvalidOperationException($"broker ({name}) {reason}.\n--- broker log ---\n{broker.Log}");
        }

        return broker;
    }

    /// <summary>Runs the broker as the image would, expecting it to exit by itself (a refused start).</summary>
    public static async Task<BrokerProcess> RunAsImageUntilExitAsync(string workingDirectory, string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var broker = Launch(workingDirectory, name, arguments, environment, withTestOptions: false);
        try
        {
            await broker.WaitForExitAsync();
        }
        catch (TimeoutException)
        {
            broker.Dispose();
            throw new InvalidOperationException($"broker ({name}) was expected to exit but still runs after {ExitTimeout.TotalSeconds:F0} s.\n--- broker log ---\n{broker.Log}");
        }

        return broker;
    }

    /// <summary>Starts the broker expecting it to exit by itself (e.g. refused start); returns its exit code.</summary>
    public static async Task<BrokerProcess> RunUntilExitAsync(string dataDirectory, string name, params string[] extraArguments)
    {
        var broker = Launch(dataDirectory, name, extraArguments);
        try
        {
            await broker.WaitForExitAsync();
        }
        catch (TimeoutException)
        {
            broker.Dispose();
            throw new InvalidOperationException($"broker ({name}) was expected to exit but still runs after {ExitTimeout.TotalSeconds:F0} s.\n--- broker log ---\n{broker.Log}");
        }

        return broker;
    }

    /// <summary>SIGKILL: the broker dies on the spot, whatever it was doing (a crash).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        if (!_process.WaitForExit(ExitTimeout))
        {
            throw new InvalidOperationException($"broker ({Name}, pid {Pid}) did not die after SIGKILL");
        }

        _process.WaitForExit();
        AppendLog($"--- test: SIGKILL sent to pid {Pid}");
    }

    /// <summary>SIGTERM, then waits for the broker to exit; fails unless the exit code is 0.</summary>
    public async Task StopGracefullyAsync()
    {
        AppendLog($"--- test: SIGTERM sent to pid {Pid}");
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill"))
        {
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -TERM {Pid} failed with exit code {kill.ExitCode}");
            }
        }

        try
        {
            await WaitForExitAsync();
        }
        catch (TimeoutException)
        {
            Kill();
            throw new InvalidOperationException($"broker ({Name}) did not exit within {ExitTimeout.TotalSeconds:F0} s of SIGTERM.\n--- broker log ---\n{Log}");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"broker ({Name}) exited with code {_process.ExitCode} after SIGTERM, expected 0.\n--- broker log ---\n{Log}");
        }
    }

    /// <summary>
    /// What the broker's "recovered ... N messages in M ms" line says, or null before it is logged.
    /// </summary>
    public (long Queues, long Messages, long Milliseconds)? Recovered =>
        RecoveredLine().Match(Log) is { Success: true } match
            ? (long.Parse(match.Groups["queues"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["messages"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture))
            : null;

    /// <summary>The resident set size of the broker process (VmRSS in /proc/PID/status), in bytes.</summary>
    public long ReadResidentBytes() => ReadStatusKilobytes("VmRSS") * 1024;

    /// <summary>The peak resident set size (VmHWM in /proc/PID/status), in bytes.</summary>
    public long ReadPeakResidentBytes() => ReadStatusKilobytes("VmHWM") * 1024;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(ExitTimeout);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static BrokerProcess Launch(string dataDirectory, string name, string[] extraArguments, IReadOnlyDictionary<string, string>? environment = null, bool withTestOptions = true)
    {
        var startInfo = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = dataDirectory,
        };
        string[] testOptions = withTestOptions ? ["--port", "0", "--bind", "127.0.0.1", "--data-dir", dataDirectory, "--management-port", "0", "--prometheus-port", "0"] : [];
        foreach (var argument in (string[])[.. testOptions, .. extraArguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The broker reads BROKER_* and RABBITMQ_DEFAULT_* variables as defaults, and RABBITMQ_CONFIG_FILE(S):
        // the tests' runs must not inherit any.
        foreach (var variable in startInfo.Environment.Keys.Where(IsBrokerVariable).ToList())
        {
            startInfo.Environment.Remove(variable);
        }

        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[variable] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var broker = new BrokerProcess(process, dataDirectory, name);
        process.OutputDataReceived += (_, e) => broker.OnLine(e.Data, broker._outputClosed);
        process.ErrorDataReceived += (_, e) => broker.OnLine(e.Data, broker._errorClosed);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {ExecutablePath}");
        }

        broker.Pid = process.Id;
        broker.AppendLog($"--- test: started {name}: {ExecutablePath} {string.Join(' ', startInfo.ArgumentList)} (pid {process.Id})");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return broker;
    }

    /// <summary>A variable the broker reads, which a test's run must not inherit from the test's environment.</summary>
    public static bool IsBrokerVariable(string name) =>
        name.StartsWith("BROKER_", StringComparison.Ordinal) || name.StartsWith("RABBITMQ_DEFAULT_", StringComparison.Ordinal) || name.StartsWith("RABBITMQ_CONFIG_FILE", StringComparison.Ordinal);

    private async Task WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(ExitTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException();
        }
    }

    private void OnLine(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        AppendLog(line);
        if (line.Contains("Server startup complete", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        if (!_listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
    }

    private void AppendLog(string line)
    {
        lock (_log)
        {
            _log.Append(line).Append('\n');
        }
    }

    private long ReadStatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var value = line[(field.Length + 1)..].Trim();
                return long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{Pid}/status");
    }

    /// <summary>
    /// BROKER_EXECUTABLE if set; else src/Broker/bin/CONFIGURATION/net10.0/broker under the repository
    /// root (the directory holding Broker.sln above the test assembly), CONFIGURATION being the one the
    /// tests were built with (the project reference builds the broker first).
    /// </summary>
    private static string LocateExecutable()
    {
        if (Environment.GetEnvironmentVariable("BROKER_EXECUTABLE") is { Length: > 0 } configured)
        {
            return configured;
        }

        var configuration = typeof(BrokerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "BrokerConfiguration")?.Value ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broker.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"no Broker.sln above {AppContext.BaseDirectory}: set BROKER_EXECUTABLE");
        }

        var path = Path.Combine(directory.FullName, "src", "Broker", "bin", configuration, "net10.0", "broker");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"the broker executable {path} does not exist: build src/Broker -c {configuration} (or set BROKER_EXECUTABLE)");
        }

        return path;
    }

    [GeneratedRegex(@"listening on amqp://(?<address>\[[^\]]*\]|[^\s:]+):(?<port>\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"recovered \d+ vhosts, \d+ users, \d+ exchanges, (?<queues>\d+) queues, \d+ bindings and (?<messages>\d+) messages in (?<ms>\d+) ms")]
    private static partial Regex RecoveredLine();
}
