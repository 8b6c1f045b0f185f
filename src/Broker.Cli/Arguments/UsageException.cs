namespace Broker.Cli.Arguments;

/// <summary>A command line that cannot be run as given; ends the run with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class UsageException(string message) : Exception(message);
