namespace Broker.Cli.Commands;

/// <summary>The command cannot do what was asked though the API answered (no such binding, an
/// unhealthy check); ends the run with <see cref="ExitCodes.Failed"/> and this one line.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);
