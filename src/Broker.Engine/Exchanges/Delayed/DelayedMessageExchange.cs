using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges.Delayed;

/// <summary>
/// x-delayed-message, as RabbitMQ's community plugin (rabbitmq-delayed-message-exchange v3.13.0)
/// behaves: a message with a positive x-delay header is held that many milliseconds, then routed with
/// the routing of the type named by the x-delayed-type argument; any other message is routed at once.
/// Bindings are kept by an exchange of that type, which only this one sees (its lock is taken under
/// this exchange's, never alone).
/// </summary>
public sealed class DelayedMessageExchange : Exchange
{
    public const string DelayedTypeArgument = "x-delayed-type";

    private readonly Exchange _underlying;

    public DelayedMessageExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.DelayedMessage, durable, autoDelete, @internal, arguments)
    {
        DelayedType = DelayedTypeOf(arguments) ?? throw new ArgumentException("x-delayed-type was not validated", nameof(arguments));
        _underlying = ExchangeFactory.Create(virtualHost, name, DelayedType, durable, autoDelete, @internal, arguments);
        Pending = new DelayedMessages(this, virtualHost.Engine.Store.OpenDelayLog(virtualHost.Name, name, durable), virtualHost.Engine.Options.Time);
    }

    /// <summary>The type whose routing this exchange uses (x-delayed-type).</summary>
    public string DelayedType { get; }

    /// <summary>Messages waiting for their delay to pass.</summary>
    public int PendingCount => Pending.Count;

    internal DelayedMessages Pending { get; }

    /// <summary>
    /// The plugin's validate/1: x-delayed-type must be a string naming an exchange type other than this
    /// one (406 PRECONDITION_FAILED otherwise; an unknown type is rabbit_exchange:check_type's 503).
    /// </summary>
    public static EngineError ValidateArguments(FieldTable arguments)
    {
        var type = DelayedTypeOf(arguments);
        if (type == ExchangeTypes.DelayedMessage)
        {
            return EngineError.PreconditionFailed("Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'");
        }

        if (type is null)
        {
            return EngineError.PreconditionFailed("Invalid argument, 'x-delayed-type' must be an existing exchange type");
        }

        if (!ExchangeTypes.IsKnown(type))
        {
            return EngineError.CommandInvalid($"unknown exchange type '{type}'");
        }

        // The underlying type checks its own arguments (the consistent-hash exchange's hash-header / hash-property).
        return type == ExchangeTypes.ConsistentHash ? ConsistentHashExchange.ValidateArguments(arguments) : EngineError.None;
    }

    /// <summary>Recovered pending messages start their timer once bindings are back (the composition root calls this).</summary>
    public void StartRecovered() => Pending.Start();

    public override EngineError ValidateBinding(string routingKey, FieldTable arguments) => _underlying.ValidateBinding(routingKey, arguments);

    protected override void OnBindingAdded(Binding binding) => _underlying.AddBinding(binding);

    protected override void OnBindingRemoved(Binding binding) => _underlying.RemoveBinding(binding.Destination, binding.RoutingKey, binding.Arguments);

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches) =>
        _underlying.Match(routingKey, message, matches);

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message)
    {
        var delay = DelayHeader.Read(message.Headers, out var milliseconds) switch
        {
            DelayKind.Delayed => $"x-delay {milliseconds} ms: the message is held that long, then routed by these bindings (nothing is routed now, so an alternate exchange applies now)",
            DelayKind.Invalid => "the x-delay header is not an integer: the plugin fails the publish (541 INTERNAL_ERROR)",
            _ => "no positive x-delay header: routed at once",
        };
        return $"x-delayed-message routing as {_underlying.DescribeRouting(routingKey, message)}; {delay}";
    }

    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts) =>
        _underlying.Explain(routingKey, message, verdicts);

    /// <summary>Only a long string or binary counts (the plugin matches an Erlang binary).</summary>
    private static string? DelayedTypeOf(FieldTable arguments) =>
        arguments.TryGetValue(DelayedTypeArgument, out var value)
            ? value switch
            {
                byte[] or string => FieldValues.AsString(value),
                AmqpBinary binary => System.Text.Encoding.UTF8.GetString(binary.Bytes),
                _ => null,
            }
            : null;
}
