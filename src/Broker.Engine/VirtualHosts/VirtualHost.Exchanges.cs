using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Exchanges.Delayed;
using Broker.Engine.Stores;

namespace Broker.Engine.VirtualHosts;

public sealed partial class VirtualHost
{
    public Result<Exchange> DeclareExchange(string name, string type, bool passive, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
    {
        if (passive)
        {
            if (name.Length == 0)
            {
                return DefaultExchangeRefused();
            }

            return TryGetExchange(name, out var found) ? found : NotFoundExchange(name);
        }

        if (!ExchangeTypes.IsKnown(type))
        {
            return EngineError.CommandInvalid($"unknown exchange type '{type}'");
        }

        if (name.Length == 0)
        {
            return DefaultExchangeRefused();
        }

        lock (_lock)
        {
            if (_exchanges.TryGetValue(name, out var existing))
            {
                var resource = existing.DisplayName;
                var error = ArgumentEquivalence.CheckType(existing.Type, type, resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.Durable, durable, "durable", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.AutoDelete, autoDelete, "auto_delete", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckField(existing.Internal, @internal, "internal", resource);
                if (!error.IsError) error = ArgumentEquivalence.CheckArguments(existing.Arguments, arguments, resource, ["alternate-exchange"]);
                return error.IsError ? error : existing;
            }

            if (name.StartsWith("amq.", StringComparison.Ordinal))
            {
                return EngineError.AccessRefused($"exchange name '{name}' contains reserved prefix 'amq.*'");
            }

            if (arguments.TryGetValue("alternate-exchange", out var alternate) && alternate is not byte[] && alternate is not string)
            {
                return EngineError.PreconditionFailed(
                    $"invalid type '{FieldValues.TypeName(alternate)}' for arg 'alternate-exchange' in {Names.Exchange(name, Name)}");
            }

            if (type == ExchangeTypes.DelayedMessage && DelayedMessageExchange.ValidateArguments(arguments) is { IsError: true } invalid)
            {
                return invalid;
            }

            if (type == ExchangeTypes.ConsistentHash && ConsistentHashExchange.ValidateArguments(arguments) is { IsError: true } invalidArguments)
            {
                return invalidArguments;
            }

            var exchange = ExchangeFactory.Create(this, name, type, durable, autoDelete, @internal, arguments);
            if (MatchExchange(name) is { } policy)
            {
                exchange.ApplyPolicy(policy);
            }

            _exchanges[name] = exchange;
            if (durable)
            {
                Engine.Definitions.Persist(new ExchangeDeclared(Name, name, type, autoDelete, @internal, arguments));
            }

            return exchange;
        }
    }

    public EngineError DeleteExchange(string name, bool ifUnused)
    {
        if (name.Length == 0)
        {
            return DefaultExchangeRefused();
        }

        if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            return EngineError.AccessRefused($"deletion of system {Names.Exchange(name, Name)} not allowed");
        }

        lock (_lock)
        {
            if (!_exchanges.TryGetValue(name, out var exchange))
            {
                return EngineError.None;
            }

            if (ifUnused && exchange.BindingCount > 0)
            {
                return EngineError.PreconditionFailed($"{exchange.DisplayName} in use");
            }

            DeleteExchangeLocked(exchange);
            return EngineError.None;
        }
    }

    private void DeleteExchangeLocked(Exchange exchange)
    {
        if (!_exchanges.TryRemove(new KeyValuePair<string, Exchange>(exchange.Name, exchange)))
        {
            return;
        }

        exchange.IsDeleted = true;
        (exchange as DelayedMessageExchange)?.Pending.Drop();
        if (exchange.Durable)
        {
            Engine.Definitions.Persist(new ExchangeDeleted(Name, exchange.Name));
        }

        foreach (var binding in exchange.GetBindings())
        {
            exchange.RemoveBinding(binding.Destination, binding.RoutingKey, binding.Arguments);
            ForgetBinding(binding);
        }

        RemoveBindingsTo(exchange);
    }
}
