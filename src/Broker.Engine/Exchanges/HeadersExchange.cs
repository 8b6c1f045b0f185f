using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
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

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        "headers: the routing key is ignored; a binding's arguments are compared with the message's headers (x-match all: every one must match, any: one is enough)";

    /// <summary>Each binding's verdict is its pattern's own <see cref="HeadersPattern.Matches"/>; the reason names each header compared.</summary>
    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        var headers = message.Headers.IsEmpty ? new FieldTable() : FieldTableCodec.DecodeTableBody(message.Headers);
        foreach (var binding in bindings)
        {
            var pattern = _patterns.Find(p => ReferenceEquals(p.Binding, binding)) ?? new HeadersPattern(binding);
            var matched = pattern.Matches(message.Headers);
            verdicts.Add(new BindingVerdict(binding, matched, pattern.Explain(message.Headers, headers, matched)));
        }
    }

    private sealed class HeadersPattern
    {
        private readonly bool _all;
        private readonly string _mode;
        private readonly List<(byte[] Key, object? Value)> _entries = [];
        private readonly List<string> _ignored = [];

        public HeadersPattern(Binding binding)
        {
            Binding = binding;
            var mode = binding.Arguments.GetString("x-match");
            _mode = mode ?? "all";
            _all = mode is not ("any" or "any-with-x");
            var withX = mode is "all-with-x" or "any-with-x";
            foreach (var (key, value) in binding.Arguments)
            {
                if (key == "x-match")
                {
                    continue;
                }

                if (!withX && key.StartsWith("x-", StringComparison.Ordinal))
                {
                    _ignored.Add(key);
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

        /// <summary>Says which headers matched and how the others failed, in the order the binding lists them.</summary>
        public string Explain(ReadOnlySpan<byte> headersTable, FieldTable headers, bool matched)
        {
            var good = new List<string>();
            var bad = new List<string>();
            foreach (var (keyBytes, expected) in _entries)
            {
                var key = System.Text.Encoding.UTF8.GetString(keyBytes);
                var found = HeaderValue.TryFind(headersTable, keyBytes, out var actual);
                if (found && (expected is null || actual.EqualsPattern(expected)))
                {
                    good.Add(expected is null ? $"header \"{key}\" is present (the binding asks only for its presence)" : $"header \"{key}\" = {Show(expected)}");
                }
                else if (!found)
                {
                    bad.Add($"header \"{key}\" is missing");
                }
                else
                {
                    bad.Add($"header \"{key}\" is {Show(headers[key])}, the binding wants {Show(expected)}");
                }
            }

            string text;
            if (_entries.Count == 0)
            {
                text = _all ? $"x-match {_mode} with no headers to compare matches every message" : $"x-match {_mode} with no headers to compare matches nothing";
            }
            else if (_all)
            {
                text = matched ? $"x-match {_mode}: all match: {string.Join("; ", good)}" : $"x-match {_mode}: {string.Join("; ", bad)}";
            }
            else
            {
                text = matched ? $"x-match {_mode}: {good[0]}" : $"x-match {_mode}: none match: {string.Join("; ", bad)}";
            }

            if (_ignored.Count > 0)
            {
                var plural = _ignored.Count == 1 ? "argument" : "arguments";
                text += $" (binding {plural} {string.Join(", ", _ignored.Select(k => $"\"{k}\""))} ignored: only x-match {(_all ? "all" : "any")}-with-x compares x- headers)";
            }

            return text;
        }

        /// <summary>A value with its AMQP type, so "1" (a string) and 1 (an integer) read differently.</summary>
        private static string Show(object? value) => value switch
        {
            null => "void",
            byte[] or string => $"\"{FieldValues.Format(value)}\" ({FieldValues.TypeName(value)})",
            _ => $"{FieldValues.Format(value)} ({FieldValues.TypeName(value)})",
        };
    }
}
