namespace Broker.Configuration;

/// <summary>
/// A configuration the broker cannot start with: a malformed config file line, a value out of range, a
/// secret file that cannot be read. The message is one line naming the file and line where there is
/// one; the executable prints it and exits with 1.
/// </summary>
internal sealed class ConfigurationException(string message) : Exception(message)
{
}
