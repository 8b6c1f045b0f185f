using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Queues;
using Broker.Engine.Routing;
using Broker.Engine.Sessions;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Tests.Support;

/// <summary>
/// A fresh engine and its default vhost, with short helpers for declaring, binding and routing as a channel
/// would (no network). Each test builds its own, so tests share nothing.
/// </summary>
internal sealed class Host
{
    private readonly RouteTargets _targets = new();

    public Host(EngineOptions? options = null)
    {
        Engine = BrokerEngine.InMemory(options);
        Assert.True(Engine.TryGetVirtualHost("/", out var vhost));
        VHost = vhost;
    }

    public BrokerEngine Engine { get; }

    public VirtualHost VHost { get; }

    /// <summary>The "connection" that owns exclusive queues declared through this host.</summary>
    public IClientConnection Connection { get; } = new TestConnection();

    public static FieldTable Args(params (string Key, object? Value)[] entries)
    {
        var table = new FieldTable();
        foreach (var (key, value) in entries)
        {
            table.Add(key, value);
        }

        return table;
    }

    /// <summary>A longstr as it arrives from the wire (strings come back as bytes).</summary>
    public static byte[] Str(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public Exchange Exchange(string name, string type = ExchangeTypes.Direct, bool autoDelete = false, FieldTable? arguments = null, bool durable = false, bool @internal = false)
    {
        var result = VHost.DeclareExchange(name, type, passive: false, durable, autoDelete, @internal, arguments ?? new FieldTable());
        Assert.False(result.IsError, result.Error.Text);
        return result.Value!;
    }

    public MessageQueue Queue(string name, bool autoDelete = false, bool exclusive = false, FieldTable? arguments = null, IClientConnection? connection = null, bool durable = false)
    {
        var result = VHost.DeclareQueue(name, passive: false, durable, exclusive, autoDelete, arguments ?? new FieldTable(), connection ?? Connection);
        Assert.False(result.IsError, result.Error.Text);
        return result.Value.Queue;
    }

    public void Bind(string queue, string exchange, string routingKey = "", FieldTable? arguments = null)
    {
        var error = VHost.BindQueue(queue, exchange, routingKey, arguments ?? new FieldTable(), Connection);
        Assert.False(error.IsError, error.Text);
    }

    public void Unbind(string queue, string exchange, string routingKey = "", FieldTable? arguments = null)
    {
        var error = VHost.UnbindQueue(queue, exchange, routingKey, arguments ?? new FieldTable(), Connection);
        Assert.False(error.IsError, error.Text);
    }

    public void BindExchange(string destination, string source, string routingKey = "", FieldTable? arguments = null)
    {
        var error = VHost.BindExchange(destination, source, routingKey, arguments ?? new FieldTable());
        Assert.False(error.IsError, error.Text);
    }

    /// <summary>Routes a message as basic.publish does and returns the names of the queues reached, in order.</summary>
    public List<string> Route(string exchange, string routingKey, FieldTable? headers = null)
    {
        Assert.True(VHost.TryGetExchange(exchange, out var source), $"no exchange '{exchange}'");
        return Route(source, routingKey, headers);
    }

    public List<string> Route(Exchange exchange, string routingKey, FieldTable? headers = null)
    {
        var headersBody = headers is null ? [] : FieldTableCodec.Encode(headers)[4..];
        Span<char> buffer = stackalloc char[RoutingKey.MaxChars];
        var key = RoutingKey.Decode(System.Text.Encoding.UTF8.GetBytes(routingKey), buffer);
        _targets.Clear();
        VHost.Route(exchange, key, headersBody, _targets);
        return [.. _targets.Queues.Select(q => q.Name)];
    }

    /// <summary>Routes and returns the queue names sorted, for comparing sets.</summary>
    public List<string> RouteSet(string exchange, string routingKey, FieldTable? headers = null)
    {
        var queues = Route(exchange, routingKey, headers);
        Assert.Equal(queues.Count, queues.Distinct().Count());
        queues.Sort(StringComparer.Ordinal);
        return queues;
    }

    public static void AssertError(EngineError error, ErrorKind kind, string text)
    {
        Assert.Equal(kind, error.Kind);
        Assert.Equal(text, error.Text);
    }
}
