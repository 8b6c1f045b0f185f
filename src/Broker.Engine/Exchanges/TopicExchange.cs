using Broker.DataModel.Encoding;
using Broker.Engine.Routing;
using Broker.Engine.Routing.Explain;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Exchanges;

/// <summary>
/// Routes by dotted patterns: <c>*</c> matches one word, <c>#</c> zero or more. Bindings live in a
/// trie of words, so matching cost follows the key's length, not the number of bindings.
/// Keys split as RabbitMQ splits them: "" is no words, "a..b" is three words, the middle one empty.
/// </summary>
public sealed class TopicExchange : Exchange
{
    private const int MaxWords = 256;
    private readonly TopicNode _root = new();

    public TopicExchange(VirtualHost virtualHost, string name, bool durable, bool autoDelete, bool @internal, FieldTable arguments)
        : base(virtualHost, name, ExchangeTypes.Topic, durable, autoDelete, @internal, arguments)
    {
    }

    protected override void OnBindingAdded(Binding binding)
    {
        var node = _root;
        foreach (var word in SplitPattern(binding.RoutingKey))
        {
            node = node.GetOrAddChild(word);
        }

        node.Destinations.Add(binding.Destination);
    }

    protected override void OnBindingRemoved(Binding binding)
    {
        var path = new List<(TopicNode Parent, string Word)>();
        var node = _root;
        foreach (var word in SplitPattern(binding.RoutingKey))
        {
            var child = node.GetChild(word);
            if (child is null)
            {
                return;
            }

            path.Add((node, word));
            node = child;
        }

        node.Destinations.Remove(binding.Destination);

        // Prune nodes left with nothing under them, deepest first.
        for (var i = path.Count - 1; i >= 0 && node.IsEmpty; i--)
        {
            var (parent, word) = path[i];
            parent.RemoveChild(word);
            node = parent;
        }
    }

    protected override void MatchLocked(RoutingKey routingKey, RoutedMessage message, List<IBindingDestination> matches)
    {
        var key = routingKey.Chars;
        Span<Range> words = stackalloc Range[MaxWords];
        var count = key.IsEmpty ? 0 : key.Split(words, '.');
        Match(_root, key, words[..count], matches);
    }

    public override string DescribeRouting(RoutingKey routingKey, RoutedMessage message) =>
        "topic: keys are words separated by dots; in a binding key * stands for exactly one word and # for zero or more";

    /// <summary>
    /// The verdict is the trie's own: each binding's pattern alone in a trie, matched as routing
    /// matches; <see cref="TopicExplanation"/> only words the reason.
    /// </summary>
    protected override void ExplainLocked(RoutingKey routingKey, RoutedMessage message, List<Binding> bindings, List<BindingVerdict> verdicts)
    {
        var key = routingKey.Chars;
        Span<Range> words = stackalloc Range[MaxWords];
        var count = key.IsEmpty ? 0 : key.Split(words, '.');
        var found = new List<IBindingDestination>();
        foreach (var binding in bindings)
        {
            var root = new TopicNode();
            var node = root;
            foreach (var word in SplitPattern(binding.RoutingKey))
            {
                node = node.GetOrAddChild(word);
            }

            node.Destinations.Add(binding.Destination);
            found.Clear();
            Match(root, key, words[..count], found);
            var matched = found.Count > 0;
            verdicts.Add(new BindingVerdict(binding, matched, TopicExplanation.Explain(binding.RoutingKey, routingKey.ToString(), matched)));
        }
    }

    private static void Match(TopicNode node, ReadOnlySpan<char> key, ReadOnlySpan<Range> words, List<IBindingDestination> matches)
    {
        if (words.IsEmpty)
        {
            matches.AddRange(node.Destinations);
            if (node.Hash is { } trailingHash)
            {
                // '#' also matches zero words.
                Match(trailingHash, key, words, matches);
            }

            return;
        }

        if (node.Children is not null && node.ChildLookup.TryGetValue(key[words[0]], out var literal))
        {
            Match(literal, key, words[1..], matches);
        }

        if (node.Star is { } star)
        {
            Match(star, key, words[1..], matches);
        }

        if (node.Hash is { } hash)
        {
            for (var skip = 0; skip <= words.Length; skip++)
            {
                Match(hash, key, words[skip..], matches);
            }
        }
    }

    private static List<string> SplitPattern(string key) => key.Length == 0 ? [] : [.. key.Split('.')];

    private sealed class TopicNode
    {
        private Dictionary<string, TopicNode>? _children;

        public Dictionary<string, TopicNode>? Children => _children;

        public Dictionary<string, TopicNode>.AlternateLookup<ReadOnlySpan<char>> ChildLookup { get; private set; }

        public TopicNode? Star { get; private set; }

        public TopicNode? Hash { get; private set; }

        public List<IBindingDestination> Destinations { get; } = [];

        public bool IsEmpty => Destinations.Count == 0 && Star is null && Hash is null && (_children is null || _children.Count == 0);

        public TopicNode? GetChild(string word) => word switch
        {
            "*" => Star,
            "#" => Hash,
            _ => _children is not null && _children.TryGetValue(word, out var child) ? child : null,
        };

        public TopicNode GetOrAddChild(string word)
        {
            switch (word)
            {
                case "*":
                    return Star ??= new TopicNode();
                case "#":
                    return Hash ??= new TopicNode();
                default:
                    if (_children is null)
                    {
                        _children = [];
                        ChildLookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
                    }

                    if (!_children.TryGetValue(word, out var child))
                    {
                        child = new TopicNode();
                        _children.Add(word, child);
                    }

                    return child;
            }
        }

        public void RemoveChild(string word)
        {
            switch (word)
            {
                case "*":
                    Star = null;
                    break;
                case "#":
                    Hash = null;
                    break;
                default:
                    _children?.Remove(word);
                    break;
            }
        }
    }
}
