using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Broker.ProcessTests.Infrastructure;

/// <summary>
/// What one test works with: its own data directory, the broker runs it started (each run's log is kept
/// and goes into the failure message, with a listing of the data directory), and the test output for the
/// figures it reports. Run the test body through <see cref="RunAsync"/> so that any failure carries them.
/// The data directory is deleted when the test passes and kept (its path in the message) when it fails.
/// </summary>
public sealed class ProcessTestContext : IDisposable
{
    private const int MaxLogCharsPerRun = 40_000;

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "broker-process-tests");

    private readonly ITestOutputHelper _output;
    private readonly List<BrokerProcess> _runs = [];
    private readonly HashSet<BrokerProcess> _runsExpectedToFail = [];
    private readonly StringBuilder _report = new();
    private bool _failed;

    public ProcessTestContext(ITestOutputHelper output, string testName)
    {
        _output = output;
        DataDirectory = Path.Combine(Root, $"{testName}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(DataDirectory);
    }

    public string DataDirectory { get; }

    public IReadOnlyList<BrokerProcess> Runs => _runs;

    /// <summary>Starts a broker on this test's data directory (or another one) and keeps its log.</summary>
    public Task<BrokerProcess> StartBrokerAsync(string? dataDirectory = null, params string[] extraArguments) =>
        StartBrokerAsync(dataDirectory, null, extraArguments);

    /// <summary>Starts a broker with extra environment variables on this test's data directory (or another one).</summary>
    public async Task<BrokerProcess> StartBrokerAsync(string? dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] extraArguments)
    {
        var name = $"run {_runs.Count + 1}";
        try
        {
            var broker = await BrokerProcess.StartAsync(dataDirectory ?? DataDirectory, name, environment, extraArguments);
            _runs.Add(broker);
            return broker;
        }
        catch (InvalidOperationException ex)
        {
            throw new XunitException($"could not start the broker ({name}): {ex.Message}");
        }
    }

    /// <summary>Starts a broker as the image runs it (only the given arguments; the rest from the environment and config files).</summary>
    public async Task<BrokerProcess> StartAsImageAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var name = $"run {_runs.Count + 1}";
        try
        {
            var broker = await BrokerProcess.StartAsImageAsync(DataDirectory, name, environment, arguments);
            _runs.Add(broker);
            return broker;
        }
        catch (InvalidOperationException ex)
        {
            throw new XunitException($"could not start the broker ({name}): {ex.Message}");
        }
    }

    /// <summary>Runs a broker as the image would, expecting it to refuse to start; keeps its log.</summary>
    public async Task<BrokerProcess> RunAsImageUntilExitAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var broker = await BrokerProcess.RunAsImageUntilExitAsync(DataDirectory, $"run {_runs.Count + 1}", environment, arguments);
        _runs.Add(broker);
        _runsExpectedToFail.Add(broker);
        return broker;
    }

    /// <summary>Runs a broker that is expected to exit by itself, keeping its log.</summary>
    public async Task<BrokerProcess> RunBrokerUntilExitAsync(string? dataDirectory = null, params string[] extraArguments)
    {
        var broker = await BrokerProcess.RunUntilExitAsync(dataDirectory ?? DataDirectory, $"run {_runs.Count + 1}", extraArguments);
        _runs.Add(broker);

        // A broker that exits by itself is one refusing to start: the test checks the line it logged.
        _runsExpectedToFail.Add(broker);
        return broker;
    }

    /// <summary>Writes a line to the test output and keeps it for the failure message.</summary>
    public void Report(string line)
    {
        _report.Append(line).Append('\n');
        _output.WriteLine(line);
    }

    /// <summary>Fails the test with the message, the figures reported so far, the broker logs and the data directory.</summary>
    public XunitException Failure(string message) => new(Describe(message));

    public void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw Failure(message);
        }
    }

    /// <summary>Runs the test body; any failure gets the broker logs and the data directory listing appended.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
            CheckNoErrorsLogged();
        }
        catch (Exception ex)
        {
            _failed = true;
            if (ex is XunitException xunit && xunit.Message.Contains("--- data directory", StringComparison.Ordinal))
            {
                throw;
            }

            throw new XunitException(Describe($"{ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}"));
        }
    }

    public void Dispose()
    {
        foreach (var run in _runs)
        {
            run.Dispose();
        }

        if (_failed)
        {
            _output.WriteLine($"data directory kept: {DataDirectory}");
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temp directory is cleaned eventually.
        }
    }

    /// <summary>
    /// Fails the test when a broker it ran logged an error or fatal line: a failure inside the broker
    /// (a client's mistake is a warning), which must not pass unnoticed because the test's own checks held.
    /// </summary>
    private void CheckNoErrorsLogged()
    {
        foreach (var run in _runs)
        {
            if (_runsExpectedToFail.Contains(run))
            {
                continue;
            }

            var errors = run.Log.Split('\n').Where(line => line.Contains(" [ERR] ", StringComparison.Ordinal) || line.Contains(" [FTL] ", StringComparison.Ordinal)).ToList();
            if (errors.Count > 0)
            {
                throw Failure($"the broker ({run.Name}) logged {errors.Count} error(s):\n{string.Join('\n', errors)}");
            }
        }
    }

    /// <summary>A recursive listing of a directory with sizes, like ls -la.</summary>
    public static string ListDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return $"{path}: does not exist\n";
        }

        var text = new StringBuilder();
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories).OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(path, entry.FullName);
            var size = entry is FileInfo file ? file.Length.ToString(CultureInfo.InvariantCulture) : "<dir>";
            text.Append(CultureInfo.InvariantCulture, $"{size,12}  {entry.LastWriteTimeUtc:HH:mm:ss.fff}  {relative}\n");
        }

        return text.ToString();
    }

    /// <summary>Total size in bytes of the files under a directory.</summary>
    public static long DirectorySize(string path) =>
        Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f =>
            {
                try
                {
                    return f.Length;
                }
                catch (FileNotFoundException)
                {
                    return 0;
                }
            })
            : 0;

    private string Describe(string message)
    {
        var text = new StringBuilder(message);
        if (_report.Length > 0)
        {
            text.Append("\n--- reported so far ---\n").Append(_report);
        }

        foreach (var run in _runs)
        {
            var log = run.Log;
            if (log.Length > MaxLogCharsPerRun)
            {
                log = "[...]\n" + log[^MaxLogCharsPerRun..];
            }

            text.Append(CultureInfo.InvariantCulture, $"\n--- broker log, {run.Name} (pid {run.Pid}) ---\n").Append(log);
        }

        text.Append(CultureInfo.InvariantCulture, $"\n--- data directory {DataDirectory} ---\n").Append(ListDirectory(DataDirectory));
        return text.ToString();
    }
}
