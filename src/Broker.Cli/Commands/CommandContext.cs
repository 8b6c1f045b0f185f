using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>What a prepared command runs with: the API client, the output format and the writers.</summary>
internal sealed class CommandContext(ManagementClient client, CliSettings settings, TextWriter stdout, TextWriter stderr)
{
    public ManagementClient Client => client;

    public OutputFormat Format => settings.Format;

    public TextWriter Out => stdout;

    public TextWriter Error => stderr;

    /// <summary>Confirms a change in table format; JSON output stays empty for a change, as the API's
    /// answer is.</summary>
    public void Done(string message)
    {
        if (Format == OutputFormat.Table)
        {
            stdout.WriteLine(message);
        }
    }
}

/// <summary>A command whose arguments are read and checked, ready to send its requests.</summary>
internal delegate Task<int> PreparedCommand(CommandContext context);
