using Broker.DataModel.Encoding;

namespace Broker.Engine.Routing.Explain;

/// <summary>
/// Whether one binding matches a message, and why or why not in plain words (the management API's
/// "explain this route", our extension: no RabbitMQ endpoint answers this).
/// </summary>
/// <param name="Destination">The queue or exchange the binding leads to.</param>
/// <param name="BindingKey">The binding's routing key (the queue's name for the default exchange's implicit binding).</param>
/// <param name="Arguments">The binding's arguments.</param>
/// <param name="Matched">The exchange type's own matching said yes.</param>
/// <param name="Reason">Why, for a person reading it.</param>
public sealed record BindingVerdict(IBindingDestination Destination, string BindingKey, FieldTable Arguments, bool Matched, string Reason)
{
    public BindingVerdict(Binding binding, bool matched, string reason)
        : this(binding.Destination, binding.RoutingKey, binding.Arguments, matched, reason)
    {
    }
}
