using Broker.DataModel.Content;
using Broker.DataModel.Encoding;
using Broker.Engine.Exchanges;
using Broker.Engine.Routing.Explain;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Exchanges;

/// <summary>
/// "Explain this route" (our extension, no RabbitMQ counterpart): each exchange type's verdict per
/// binding and its reason, the walk through exchange-to-exchange bindings and alternate exchanges, and
/// the queues reached, which must be the ones routing reaches.
/// </summary>
public class RouteExplanationTests
{
    private readonly Host _host = new();

    private RouteExplanation Explain(string exchange, string routingKey, FieldTable? headers = null)
    {
        Assert.True(_host.VHost.TryGetExchange(exchange, out var source));
        return _host.VHost.ExplainRoute(source, routingKey, new BasicProperties { Headers = headers });
    }

    private static BindingVerdict Verdict(RouteExplanation explanation, string destination, string? exchange = null) =>
        explanation.Visits.Where(v => exchange is null || v.Exchange.Name == exchange)
            .SelectMany(v => v.Bindings).Single(b => b.Destination.Name == destination);

    private static List<string> Queues(RouteExplanation explanation) => [.. explanation.Queues.Select(q => q.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public void Topic_says_what_each_wildcard_stood_for_and_why_a_pattern_fails()
    {
        _host.Exchange("t", ExchangeTypes.Topic);
        foreach (var (queue, pattern) in new[] { ("star", "a.*.c"), ("hash", "a.#"), ("tail", "#.d"), ("other", "x.#"), ("exact", "a.b.c.d"), ("case", "a.B.c.d"), ("long", "a.*.*.*.*") })
        {
            _host.Queue(queue);
            _host.Bind(queue, "t", pattern);
        }

        var explanation = Explain("t", "a.b.c.d");

        Assert.Equal("* stands for exactly one word and there is no #: the routing key has 4 words, the binding key 3", Verdict(explanation, "star").Reason);
        Assert.False(Verdict(explanation, "star").Matched);
        Assert.Equal("matches: # stands for \"b.c.d\"", Verdict(explanation, "hash").Reason);
        Assert.Equal("matches: # stands for \"a.b.c\"", Verdict(explanation, "tail").Reason);
        Assert.Equal("word 1 differs: the binding key has \"x\", the routing key \"a\"", Verdict(explanation, "other").Reason);
        Assert.Equal("the binding key equals the routing key (no wildcards)", Verdict(explanation, "exact").Reason);
        Assert.Equal("word 2 differs: the binding key has \"B\", the routing key \"b\" (words compare case-sensitively)", Verdict(explanation, "case").Reason);
        Assert.Equal("* stands for exactly one word and there is no #: the routing key has 4 words, the binding key 5", Verdict(explanation, "long").Reason);
        Assert.Equal(["exact", "hash", "tail"], Queues(explanation));
        Assert.Equal(Queues(explanation), [.. explanation.Visits.Single().Bindings.Where(b => b.Matched).Select(b => b.Destination.Name).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public void Topic_explains_hash_patterns_that_cannot_fit()
    {
        _host.Exchange("t", ExchangeTypes.Topic);
        _host.Queue("short");
        _host.Bind("short", "t", "a.*.#.b.c");
        _host.Queue("middle");
        _host.Bind("middle", "t", "a.#.m.#.z");
        _host.Queue("end");
        _host.Bind("end", "t", "#.y");

        var explanation = Explain("t", "a.b.z");

        Assert.Equal("the binding key needs at least 4 words besides # (which may stand for none), the routing key has 3 words", Verdict(explanation, "short").Reason);
        Assert.Equal("the words between the # wildcards (\"m\") do not occur in that order in the rest of the routing key", Verdict(explanation, "middle").Reason);
        Assert.Equal("word 3 differs: the binding key has \"y\", the routing key \"z\" (counting from the end, after the last #)", Verdict(explanation, "end").Reason);
        Assert.Empty(explanation.Queues);
    }

    [Fact]
    public void Topic_wording_agrees_with_the_trie_on_random_patterns()
    {
        var random = new Random(10);
        string[] words = ["a", "b", "*", "#", ""];
        _host.Exchange("t", ExchangeTypes.Topic);
        for (var i = 0; i < 60; i++)
        {
            var pattern = string.Join('.', Enumerable.Range(0, random.Next(0, 5)).Select(_ => words[random.Next(words.Length)]));
            _host.Queue($"q{i}");
            _host.Bind($"q{i}", "t", pattern);
        }

        for (var i = 0; i < 40; i++)
        {
            var key = string.Join('.', Enumerable.Range(0, random.Next(0, 5)).Select(_ => words[random.Next(3) == 0 ? 4 : random.Next(2)]));
            var explanation = Explain("t", key);
            foreach (var verdict in explanation.Visits.Single().Bindings)
            {
                var saysMatch = verdict.Reason.StartsWith("matches", StringComparison.Ordinal) || verdict.Reason.StartsWith("the binding key equals", StringComparison.Ordinal);
                Assert.True(verdict.Matched == saysMatch, $"'{verdict.BindingKey}' vs '{key}': matched {verdict.Matched}, reason {verdict.Reason}");
            }

            Assert.Equal(_host.RouteSet("t", key), Queues(explanation));
        }
    }

    [Fact]
    public void Direct_names_the_near_misses()
    {
        _host.Exchange("d");
        _host.Queue("exact");
        _host.Bind("exact", "d", "orders");
        _host.Queue("case");
        _host.Bind("case", "d", "Orders");
        _host.Queue("wild");
        _host.Bind("wild", "d", "orders.*");

        var explanation = Explain("d", "orders");

        Assert.Equal("the binding key equals the routing key", Verdict(explanation, "exact").Reason);
        Assert.Equal("the binding key \"Orders\" is not the routing key \"orders\": they differ only in case, and keys compare case-sensitively", Verdict(explanation, "case").Reason);
        Assert.Equal("the binding key \"orders.*\" is not the routing key \"orders\": * and # are wildcards only in a topic exchange", Verdict(explanation, "wild").Reason);
        Assert.Equal(["exact"], Queues(explanation));
    }

    [Fact]
    public void Headers_says_which_header_is_missing_or_has_another_value()
    {
        _host.Exchange("h", ExchangeTypes.Headers);
        _host.Queue("all");
        _host.Bind("all", "h", "", Host.Args(("x-match", Host.Str("all")), ("format", Host.Str("pdf")), ("type", Host.Str("report"))));
        _host.Queue("any");
        _host.Bind("any", "h", "", Host.Args(("x-match", Host.Str("any")), ("format", Host.Str("zip")), ("size", 3)));
        _host.Queue("xkey");
        _host.Bind("xkey", "h", "", Host.Args(("x-match", Host.Str("all")), ("x-tenant", Host.Str("a"))));
        _host.Queue("number");
        _host.Bind("number", "h", "", Host.Args(("size", 3)));

        var explanation = Explain("h", "ignored", Host.Args(("format", Host.Str("pdf")), ("size", Host.Str("3"))));

        Assert.Equal("x-match all: header \"type\" is missing", Verdict(explanation, "all").Reason);
        Assert.Equal("x-match any: none match: header \"format\" is \"pdf\" (longstr), the binding wants \"zip\" (longstr); header \"size\" is \"3\" (longstr), the binding wants 3 (signedint)", Verdict(explanation, "any").Reason);
        Assert.Equal("x-match all with no headers to compare matches every message (binding argument \"x-tenant\" ignored: only x-match all-with-x compares x- headers)", Verdict(explanation, "xkey").Reason);
        Assert.False(Verdict(explanation, "number").Matched);
        Assert.Equal(["xkey"], Queues(explanation));

        var matching = Explain("h", "", Host.Args(("format", Host.Str("pdf")), ("type", Host.Str("report")), ("size", 3L)));
        Assert.Equal("x-match all: all match: header \"format\" = \"pdf\" (longstr); header \"type\" = \"report\" (longstr)", Verdict(matching, "all").Reason);
        Assert.Equal("x-match any: header \"size\" = 3 (signedint)", Verdict(matching, "any").Reason);
        Assert.Equal(["all", "any", "number", "xkey"], Queues(matching));
    }

    [Fact]
    public void Fanout_matches_every_binding()
    {
        _host.Exchange("f", ExchangeTypes.Fanout);
        _host.Queue("q1");
        _host.Bind("q1", "f", "whatever");

        var verdict = Verdict(Explain("f", "k"), "q1");

        Assert.True(verdict.Matched);
        Assert.Equal("a fanout exchange routes to every binding", verdict.Reason);
    }

    [Fact]
    public void Exchange_bindings_are_followed_and_the_alternate_exchange_used_only_when_nothing_matched()
    {
        _host.Exchange("ae", ExchangeTypes.Fanout);
        _host.Queue("unrouted");
        _host.Bind("unrouted", "ae");
        _host.Exchange("front", arguments: Host.Args(("alternate-exchange", Host.Str("ae"))));
        _host.Exchange("inner", ExchangeTypes.Topic);
        _host.BindExchange("inner", "front", "orders");
        _host.Queue("orders-eu");
        _host.Bind("orders-eu", "inner", "#");

        var routed = Explain("front", "orders");
        Assert.Equal(["front", "inner"], routed.Visits.Select(v => v.Exchange.Name));
        Assert.Equal("a binding from \"front\"", routed.Visits[1].ReachedBy);
        Assert.Equal("not used: a binding matched", routed.Visits[0].AlternateNote);
        Assert.Equal(["orders-eu"], Queues(routed));

        var unrouted = Explain("front", "invoices");
        Assert.Equal(["front", "ae"], unrouted.Visits.Select(v => v.Exchange.Name));
        Assert.Equal("used: no binding matched", unrouted.Visits[0].AlternateNote);
        Assert.Equal("the alternate exchange of \"front\"", unrouted.Visits[1].ReachedBy);
        Assert.Equal(["unrouted"], Queues(unrouted));
    }

    [Fact]
    public void A_missing_alternate_exchange_is_named()
    {
        _host.Exchange("front", arguments: Host.Args(("alternate-exchange", Host.Str("gone"))));

        var explanation = Explain("front", "k");

        Assert.Equal("no exchange \"gone\" exists in this vhost: the message is dropped", explanation.Visits.Single().AlternateNote);
        Assert.Empty(explanation.Queues);
    }

    [Fact]
    public void The_default_exchange_shows_the_implicit_binding_of_the_queue_named_by_the_key()
    {
        _host.Queue("jobs");
        Assert.True(_host.VHost.TryGetExchange("", out var defaultExchange));

        var found = _host.VHost.ExplainRoute(defaultExchange, "jobs", new BasicProperties());
        var missing = _host.VHost.ExplainRoute(defaultExchange, "job", new BasicProperties());

        Assert.Equal("the routing key is the queue's name (its implicit binding)", Verdict(found, "jobs").Reason);
        Assert.Equal(["jobs"], Queues(found));
        Assert.Empty(missing.Visits.Single().Bindings);
        Assert.EndsWith("there is no queue named \"job\" in this vhost", missing.Visits.Single().Rule, StringComparison.Ordinal);
        Assert.Empty(missing.Queues);
    }

    [Fact]
    public void Consistent_hash_matches_exactly_one_destination_and_says_why_the_others_lost()
    {
        _host.Exchange("ch", ExchangeTypes.ConsistentHash);
        foreach (var queue in new[] { "q1", "q2", "q3" })
        {
            _host.Queue(queue);
            _host.Bind(queue, "ch", "10");
        }

        _host.Bind("q1", "ch", "20");

        var explanation = Explain("ch", "customer-42");
        var verdicts = explanation.Visits.Single().Bindings;

        var winner = Assert.Single(verdicts, v => v.Matched);
        Assert.Equal([winner.Destination.Name], Queues(explanation));
        Assert.Contains("the hash of the routing key \"customer-42\" falls in this destination's share of the ring (weight 10 of 30)", winner.Reason, StringComparison.Ordinal);
        Assert.Equal("another binding already places this destination on the ring: a destination has one place, its first binding's weight", verdicts.Single(v => v.BindingKey == "20").Reason);
    }

    [Fact]
    public void A_delayed_exchange_explains_its_type_and_holds_the_message()
    {
        var arguments = Host.Args(("x-delayed-type", Host.Str("topic")));
        _host.Exchange("later", ExchangeTypes.DelayedMessage, arguments: arguments);
        _host.Queue("q");
        _host.Bind("q", "later", "a.*");

        var held = Explain("later", "a.b", Host.Args(("x-delay", 5000)));
        var now = Explain("later", "a.b");

        Assert.Contains("x-delay 5000 ms: the message is held that long, then routed by these bindings", held.Visits.Single().Rule, StringComparison.Ordinal);
        Assert.True(Verdict(held, "q").Matched);
        Assert.Empty(held.Queues);
        Assert.Equal(5000, Assert.Single(held.Delayed).Delay);
        Assert.Equal(["q"], Queues(now));
    }

    [Fact]
    public void CC_keys_are_explained_after_the_routing_key()
    {
        _host.Exchange("d");
        _host.Queue("a");
        _host.Bind("a", "d", "a");
        _host.Queue("b");
        _host.Bind("b", "d", "b");

        var explanation = Explain("d", "a", Host.Args(("CC", new List<object?> { Host.Str("b") })));

        Assert.Equal(["a", "b"], explanation.Visits.Select(v => v.RoutingKey));
        Assert.Equal("published to, for the CC header's key \"b\"", explanation.Visits[1].ReachedBy);
        Assert.Equal(["a", "b"], Queues(explanation));
    }
}
