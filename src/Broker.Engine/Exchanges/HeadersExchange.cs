using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Routing;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>
/// Routes by message headers against binding arguments, with x-match all, any, all-with-x and
/// any-with-x, following RabbitMQ's rabbit_exchange_type_headers: binding keys starting with "x-" are
/// ignored unless the mode is a -with-x one; a void binding value matches any value of that header;
/// values compare as Erlang's == does (integers and floats by number, strings by bytes).
/// </summary>
public sealed class HeadersExchange : Exchange
{
    private readonly List<HeadersPattern> _patterns = [];

    public HeadersExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.Headers, durable, autoDelete, @internal, arguments)
    {
    }

    public override EngineError ValidateBinding(string routingKey, FieldTable arguments)
    {
        if (!arguments.TryGetValue("x-match", out var mode))
        {
            return EngineError.None;
        }

        if (FieldValues.AsString(mode) is not { } text)
        {
            return EngineError.PreconditionFailed(
                $"Invalid x-match field type {FieldValues.TypeName(mode)} (value {FieldValues.Format(mode)}); expected longstr");
        }

        return text is "all" or "any" or "all-with-x" or "any-with-x"
            ? EngineError.None
            : EngineError.PreconditionFailed($"Invalid x-match field value <<\"{text}\">>; expected all, any, all-with-x, or any-with-x");
    }

    protected override void OnBindingAdded(Binding binding) => _patterns.Add(new HeadersPattern(binding));

    protected override void OnBindingRemoved(Binding binding)
    {
        for (var i = 0; i < _patterns.Count; i++)
        {
            if (ReferenceEquals(_patterns[i].Binding, binding))
            {
                _patterns.RemoveAt(i);
                return;
            }
        }
    }

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(message.Headers))
            {
                matches.Add(pattern.Binding.Destination);
            }
        }
    }

    private sealed class HeadersPattern
    {
        private readonly bool _all;
        private readonly List<(byte[] Key, object? Value)> _entries = [];

        public HeadersPattern(Binding binding)
        {
            Binding = binding;
            var mode = binding.Arguments.GetString("x-match");
            _all = mode is not ("any" or "any-with-x");
            var withX = mode is "all-with-x" or "any-with-x";
            foreach (var (key, value) in binding.Arguments)
            {
                if (key == "x-match" || (!withX && key.StartsWith("x-", StringComparison.Ordinal)))
                {
                    continue;
                }

                _entries.Add((System.Text.Encoding.UTF8.GetBytes(key), value));
            }
        }

        public Binding Binding { get; }

        public bool Matches(ReadOnlySpan<byte> headersTable)
        {
            var any = false;
            foreach (var (key, expected) in _entries)
            {
                var found = HeaderValue.TryFind(headersTable, key, out var actual);
                var matched = found && (expected is null || actual.EqualsPattern(expected));
                if (matched)
                {
                    any = true;
                    if (!_all)
                    {
                        return true;
                    }
                }
                else if (_all)
                {
                    return false;
                }
            }

            return _all || any;
        }
    }
}
