namespace Broker.Engine.Tracing;

/// <summary>
/// Who published or received a traced message, as RabbitMQ's trace headers name them: the
/// connection's name, the channel's number and the user that logged in. A session makes one when it
/// opens, so tracing a message allocates nothing for it.
/// </summary>
/// <param name="Connection">The connection's name (the "connection" header).</param>
/// <param name="Channel">The channel number (the "channel" header; RabbitMQ's management publish uses 1).</param>
/// <param name="User">The user name (the "user" header).</param>
public sealed record TraceOrigin(string Connection, int Channel, string User);
