using Microsoft.Extensions.Logging;

namespace Broker.Testing;

/// <summary>
/// A line the broker logged at error level or above. The broker logs a client's mistakes (bad frames,
/// refused logins, channel errors) as warnings, so an error means something went wrong inside the
/// broker: a failed delivery pump, timer, store write or connection.
/// </summary>
/// <param name="Time">When it was logged.</param>
/// <param name="Level">Error or Critical.</param>
/// <param name="Category">The logger's category, e.g. Broker.Server.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception logged with it, if any.</param>
public sealed record BrokerLogEntry(DateTimeOffset Time, LogLevel Level, string Category, string Message, Exception? Exception)
{
    /// <summary>One line: time, level, category, message, and the exception if any.</summary>
    public override string ToString() => $"{Time:HH:mm:ss.fff} [{Level}] {Category}: {Message}{(Exception is null ? "" : Environment.NewLine + Exception)}";
}
