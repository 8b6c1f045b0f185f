using Broker.DataModel.Encoding;
using Broker.Engine;
using Broker.Server.Connections;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Hosting;

/// <summary>What every connection of one broker shares.</summary>
internal sealed class ServerContext
{
    public ServerContext(BrokerEngine engine, ServerOptions options, ILogger logger, ServerClock? clock = null)
    {
        Engine = engine;
        Options = options;
        Logger = logger;
        Clock = clock ?? ServerClock.System;
        ServerProperties = Broker.Server.Connections.ServerProperties.Create(
            Environment.MachineName,
            options.ServerProduct ?? Broker.Server.Connections.ServerProperties.DefaultProduct,
            options.ServerVersion ?? engine.Options.Compat.RabbitMqVersion);
    }

    public BrokerEngine Engine { get; }

    public ServerOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Time for timeouts; the system's, or a test's.</summary>
    public ServerClock Clock { get; }

    public FieldTable ServerProperties { get; }

    public ConnectionRegistry Connections { get; } = new();

    public Channels.DirectReplyRegistry DirectReplies { get; } = new();
}
