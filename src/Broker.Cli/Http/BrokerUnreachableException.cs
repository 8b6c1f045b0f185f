namespace Broker.Cli.Http;

/// <summary>No HTTP answer at all: connection refused, unknown host, TLS failure or timeout.</summary>
internal sealed class BrokerUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
