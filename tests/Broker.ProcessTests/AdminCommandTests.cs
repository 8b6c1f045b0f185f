using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Broker.ProcessTests.Infrastructure;

namespace Broker.ProcessTests;

/// <summary>
/// <c>broker admin ...</c> runs the management CLI, not a broker: it takes none of the broker's options
/// and its exit code is the command's (the commands themselves are tested in Broker.Cli.Tests).
/// </summary>
public sealed class AdminCommandTests
{
    [Fact]
    public async Task Broker_admin_help_prints_the_commands_and_exits_0()
    {
        var (code, stdout, _) = await RunAsync("admin", "--help");

        Assert.Equal(0, code);
        Assert.Contains("broker admin [options] COMMAND", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_admin_exits_with_the_commands_code_and_never_parses_broker_options()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        socket.Close();

        var (unreachable, _, error) = await RunAsync("admin", "check", "alarms", "--url", $"http://127.0.0.1:{port}/");
        var (usage, _, usageError) = await RunAsync("admin", "status", "--data-dir", "x");

        Assert.Equal(69, unreachable);
        Assert.StartsWith("broker admin: cannot reach the management API", error, StringComparison.Ordinal);
        Assert.Equal(64, usage);
        Assert.StartsWith("broker admin: unknown option --data-dir", usageError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var startInfo = new ProcessStartInfo(BrokerProcess.ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The CLI reads these as defaults; a test run must not inherit them.
        foreach (var name in (string[])["BROKER_MANAGEMENT_URL", "BROKER_ADMIN_USER", "BROKER_ADMIN_PASSWORD"])
        {
            startInfo.Environment.Remove(name);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }
}
