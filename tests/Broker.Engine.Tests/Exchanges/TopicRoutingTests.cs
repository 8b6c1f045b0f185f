using System.Reflection;
using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Exchanges;

public class TopicRoutingTests
{
    /// <summary>Binding pattern, routing key, whether they match (RabbitMQ's rabbit_exchange_type_topic rules).</summary>
    public static TheoryData<string, string, bool> Matrix() => new()
    {
        // Literal words.
        { "a.b.c", "a.b.c", true },
        { "a.b.c", "a.b", false },
        { "a.b", "a.b.c", false },
        { "a.b.c", "a.b.d", false },
        { "a", "a", true },
        { "a", "b", false },
        { "A", "a", false },
        { "stock.usd.nyse", "stock.usd.nyse", true },

        // '*' is exactly one word, possibly empty.
        { "*", "a", true },
        { "*", "", false },
        { "*", "a.b", false },
        { "a.*.c", "a.b.c", true },
        { "a.*.c", "a.c", false },
        { "a.*.c", "a..c", true },
        { "a.*.c", "a.b.b.c", false },
        { "*.*", "a.b", true },
        { "*.*", "a", false },
        { "*.*.*", "..", true },
        { "*.*", "..", false },

        // '#' is zero or more words.
        { "#", "", true },
        { "#", "a", true },
        { "#", "a.b.c", true },
        { "#", "..", true },
        { "a.#", "a", true },
        { "a.#", "a.b", true },
        { "a.#", "a.b.c.d", true },
        { "a.#", "b.a", false },
        { "a.#", "", false },
        { "#.a", "a", true },
        { "#.a", "x.y.a", true },
        { "#.a", "a.x", false },
        { "a.#.b", "a.b", true },
        { "a.#.b", "a.x.b", true },
        { "a.#.b", "a.x.y.b", true },
        { "a.#.b", "a.x.y", false },
        { "a.#.b", "a.b.c", false },
        { "a.#.b", "a.b.b", true },
        { "#.#", "", true },
        { "#.#", "a", true },
        { "#.#", "a.b.c", true },
        { "#.b.#", "b", true },
        { "#.b.#", "a.b.c", true },
        { "#.b.#", "a.c", false },
        { "*.#", "", false },
        { "*.#", "a", true },
        { "*.#", "a.b.c", true },
        { "#.*", "", false },
        { "#.*", "a.b.c", true },
        { "a.*.#", "a", false },
        { "a.*.#", "a.b", true },
        { "a.*.#", "a.b.c.d", true },
        { "#.*.#", "", false },
        { "#.*.#", "x", true },

        // Empty words.
        { "a..b", "a..b", true },
        { "a..b", "a.b", false },
        { "a.b", "a..b", false },
        { "a.*.b", "a..b", true },
        { ".a", ".a", true },
        { ".a", "a", false },
        { "*.a", ".a", true },
        { "#.a", ".a", true },
        { "a.", "a.", true },
        { "a.", "a", false },
        { "a.*", "a.", true },
        { "a.*", "a", false },
        { "a.#", "a.", true },
        { ".", ".", true },
        { ".", "", false },

        // The empty key has no words: only "" and "#" (and "#.#") match it.
        { "", "", true },
        { "", "a", false },
        { "a", "", false },
        { "", ".", false },

        // Keys with many words.
        { "#.j", "a.b.c.d.e.f.g.h.i.j", true },
        { "a.#", "a.b.c.d.e.f.g.h.i.j", true },
        { "*.*.*.*.*.*.*.*.*.*", "a.b.c.d.e.f.g.h.i.j", true },
        { "*.*.*.*.*.*.*.*.*", "a.b.c.d.e.f.g.h.i.j", false },
        { "a.#.e.#.j", "a.b.c.d.e.f.g.h.i.j", true },
        { "a.#.e.#.k", "a.b.c.d.e.f.g.h.i.j", false },

        // Wildcards in the key are plain words.
        { "a.*", "a.*", true },
        { "a.b", "a.*", false },
        { "a.x", "a.#", false },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Pattern_matches_key(string pattern, string key, bool matches)
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q");
        host.Bind("q", "t", pattern);

        Assert.Equal(matches ? ["q"] : [], host.Route("t", key));
        Assert.Equal(matches, Reference.Matches(pattern, key));
    }

    [Fact]
    public void All_matrix_patterns_bound_at_once_route_each_key_to_exactly_the_matching_queues()
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        var patterns = Matrix().Select(row => (string)row[0]).Distinct().ToList();
        for (var i = 0; i < patterns.Count; i++)
        {
            host.Queue($"q{i}");
            host.Bind($"q{i}", "t", patterns[i]);
        }

        foreach (var key in Matrix().Select(row => (string)row[1]).Distinct())
        {
            var expected = Enumerable.Range(0, patterns.Count).Where(i => Reference.Matches(patterns[i], key)).Select(i => $"q{i}").Order(StringComparer.Ordinal);
            Assert.Equal(expected, host.RouteSet("t", key));
        }
    }

    [Fact]
    public void Random_patterns_and_keys_route_as_the_reference_matcher_says()
    {
        var random = new Random(2024);
        string[] words = ["a", "b", "c", ""];
        string RandomKey(bool wildcards)
        {
            var count = random.Next(0, 6);
            var parts = new string[count];
            for (var i = 0; i < count; i++)
            {
                var roll = random.Next(wildcards ? 6 : 4);
                parts[i] = roll < 4 ? words[roll] : roll == 4 ? "*" : "#";
            }

            return string.Join('.', parts);
        }

        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        var patterns = Enumerable.Range(0, 150).Select(_ => RandomKey(wildcards: true)).ToList();
        for (var i = 0; i < patterns.Count; i++)
        {
            host.Queue($"q{i}");
            host.Bind($"q{i}", "t", patterns[i]);
        }

        for (var n = 0; n < 400; n++)
        {
            var key = RandomKey(wildcards: false);
            var expected = Enumerable.Range(0, patterns.Count).Where(i => Reference.Matches(patterns[i], key)).Select(i => $"q{i}").Order(StringComparer.Ordinal);
            Assert.Equal(expected, host.RouteSet("t", key));
        }
    }

    [Fact]
    public void A_key_of_256_empty_words_is_matched_word_by_word()
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        var key = new string('.', 255);
        host.Queue("stars256");
        host.Bind("stars256", "t", string.Join('.', Enumerable.Repeat("*", 256)));
        host.Queue("stars255");
        host.Bind("stars255", "t", string.Join('.', Enumerable.Repeat("*", 255)));
        host.Queue("hash");
        host.Bind("hash", "t", "#");

        Assert.Equal(["hash", "stars256"], host.RouteSet("t", key));
    }

    [Fact]
    public void Several_bindings_matching_the_same_queue_route_it_once()
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q");
        host.Queue("other");
        foreach (var pattern in new[] { "a.b", "a.*", "#", "a.#", "#.b", "*.*", "#.#" })
        {
            host.Bind("q", "t", pattern);
        }

        host.Bind("other", "t", "a.b");

        Assert.Equal(["other", "q"], host.RouteSet("t", "a.b"));
        Assert.Equal(["q"], host.Route("t", "x"));
    }

    [Fact]
    public void Unbinding_removes_only_that_binding()
    {
        var host = new Host();
        var exchange = host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q1");
        host.Queue("q2");
        host.Bind("q1", "t", "a.*");
        host.Bind("q1", "t", "#.b");
        host.Bind("q2", "t", "a.*");
        host.Bind("q2", "t", "a.b.c");

        host.Unbind("q1", "t", "a.*");

        Assert.Equal(3, exchange.BindingCount);
        Assert.Equal(["q1", "q2"], host.RouteSet("t", "a.b"));
        Assert.Equal(["q2"], host.RouteSet("t", "a.c"));
        Assert.Equal(["q2"], host.RouteSet("t", "a.b.c"));
        Assert.Equal(["q1"], host.RouteSet("t", "x.y.b"));
    }

    [Fact]
    public void Unbinding_a_deeper_pattern_keeps_the_shorter_one_on_the_same_path()
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("short");
        host.Queue("long");
        host.Bind("short", "t", "a");
        host.Bind("long", "t", "a.b.c");

        host.Unbind("long", "t", "a.b.c");

        Assert.Equal(["short"], host.Route("t", "a"));
        Assert.Empty(host.Route("t", "a.b.c"));
        host.Bind("long", "t", "a.b.c");
        Assert.Equal(["long"], host.Route("t", "a.b.c"));
    }

    [Fact]
    public void The_same_pattern_bound_with_different_arguments_needs_both_unbinds()
    {
        var host = new Host();
        host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q");
        host.Bind("q", "t", "a.b");
        host.Bind("q", "t", "a.b", Host.Args(("x", 1)));

        host.Unbind("q", "t", "a.b");
        Assert.Equal(["q"], host.Route("t", "a.b"));

        host.Unbind("q", "t", "a.b", Host.Args(("x", 1)));
        Assert.Empty(host.Route("t", "a.b"));
    }

    [Fact]
    public void Binding_the_same_pattern_twice_is_one_binding()
    {
        var host = new Host();
        var exchange = host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q");
        host.Bind("q", "t", "a.#");
        host.Bind("q", "t", "a.#");

        Assert.Equal(1, exchange.BindingCount);
        host.Unbind("q", "t", "a.#");
        Assert.Empty(host.Route("t", "a.b"));
    }

    [Fact]
    public void Binding_then_unbinding_many_patterns_leaves_a_trie_that_matches_nothing()
    {
        var random = new Random(99);
        string[] words = ["a", "b", "*", "#", ""];
        var host = new Host();
        var exchange = host.Exchange("t", ExchangeTypes.Topic);
        var bindings = new List<(string Queue, string Pattern)>();
        for (var i = 0; i < 10; i++)
        {
            host.Queue($"q{i}");
        }

        for (var i = 0; i < 300; i++)
        {
            var pattern = string.Join('.', Enumerable.Range(0, random.Next(0, 5)).Select(_ => words[random.Next(words.Length)]));
            var queue = $"q{random.Next(10)}";
            host.Bind(queue, "t", pattern);
            bindings.Add((queue, pattern));
        }

        Assert.NotEmpty(host.Route("t", "a.b"));
        foreach (var (queue, pattern) in bindings.OrderBy(_ => random.Next()))
        {
            host.Unbind(queue, "t", pattern);
        }

        Assert.Equal(0, exchange.BindingCount);
        foreach (var key in new[] { "", "a", "a.b", "b.a.b", ".", "a..b", "x.y.z.w" })
        {
            Assert.Empty(host.Route("t", key));
        }

        // Pruned down to an empty root, so unbinding leaks no trie nodes.
        var root = typeof(TopicExchange).GetField("_root", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(exchange)!;
        Assert.True((bool)root.GetType().GetProperty("IsEmpty")!.GetValue(root)!);
    }

    /// <summary>RabbitMQ's topic matching written the obvious way: split on '.', "" has no words.</summary>
    private static class Reference
    {
        public static bool Matches(string pattern, string key) => Match(Split(pattern), Split(key));

        private static string[] Split(string text) => text.Length == 0 ? [] : text.Split('.');

        private static bool Match(ReadOnlySpan<string> pattern, ReadOnlySpan<string> key)
        {
            if (pattern.IsEmpty)
            {
                return key.IsEmpty;
            }

            if (pattern[0] == "#")
            {
                for (var skip = 0; skip <= key.Length; skip++)
                {
                    if (Match(pattern[1..], key[skip..]))
                    {
                        return true;
                    }
                }

                return false;
            }

            return !key.IsEmpty && (pattern[0] == "*" || pattern[0] == key[0]) && Match(pattern[1..], key[1..]);
        }
    }
}
