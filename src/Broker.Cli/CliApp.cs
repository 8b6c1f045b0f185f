using Broker.Cli.Arguments;
using Broker.Cli.Commands;
using Broker.Cli.Http;

namespace Broker.Cli;

/// <summary>
/// <c>broker admin</c>: a command-line tool over the management HTTP API. It speaks RabbitMQ's API
/// (paths, JSON fields, status codes), so it manages this broker and RabbitMQ alike.
/// </summary>
public static class CliApp
{
    /// <summary>
    /// Runs one command line (the words after <c>broker admin</c>) and returns its exit code (see
    /// <see cref="ExitCodes"/>). Results go to <paramref name="stdout"/>, errors as one line to
    /// <paramref name="stderr"/>.
    /// </summary>
    /// <param name="handler">Sends the HTTP requests; null for a real connection (tests pass a fake).</param>
    /// <param name="environment">Reads environment variables; null for the process's.</param>
    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        HttpMessageHandler? handler = null,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var line = CommandLine.Parse(args);
            if (line.Has("help"))
            {
                await stdout.WriteLineAsync(CliUsage.Text).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            if (line.WordCount == 0)
            {
                await stderr.WriteLineAsync(CliUsage.Text).ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            // Read and check the whole command line first, so a mistake is reported before anything is
            // sent; the command claims its options before the connection settings take theirs.
            var command = Prepare(line);
            var settings = CliSettings.Resolve(line, environment ?? Environment.GetEnvironmentVariable);
            line.EnsureAllUsed(line.CommandName);
            using var client = new ManagementClient(settings, handler);
            return await command(new CommandContext(client, settings, stdout, stderr)).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"broker admin: {ex.Message} (broker admin --help lists the commands)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ManagementApiException ex)
        {
            await stderr.WriteLineAsync($"broker admin: {ex.Message}").ConfigureAwait(false);
            return ex.IsNotAuthorised ? ExitCodes.NotAuthorised : ExitCodes.Failed;
        }
        catch (BrokerUnreachableException ex)
        {
            await stderr.WriteLineAsync($"broker admin: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Unreachable;
        }
        catch (Exception ex) when (ex is CommandFailedException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"broker admin: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static PreparedCommand Prepare(CommandLine line) => line.NextKeyword() switch
    {
        "list" or "ls" => ListCommand.Prepare(line),
        "status" or "overview" => StatusCommand.Prepare(line),
        "check" => CheckCommand.Prepare(line),
        "declare" => DeclareCommand.Prepare(line),
        "delete" => DeleteCommand.Prepare(line),
        "purge" => PurgeCommand.Prepare(line),
        "close" => CloseCommand.Prepare(line),
        "add" => AddCommand.Prepare(line),
        "set" => SetCommand.Prepare(line),
        "export" => DefinitionsCommands.PrepareExport(line),
        "import" => DefinitionsCommands.PrepareImport(line),
        "publish" => MessageCommands.PreparePublish(line),
        "get" => MessageCommands.PrepareGet(line),
        "help" => PrintUsageAsync,
        var other => throw new UsageException($"unknown command '{other}'"),
    };

    private static async Task<int> PrintUsageAsync(CommandContext context)
    {
        await context.Out.WriteLineAsync(CliUsage.Text).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
