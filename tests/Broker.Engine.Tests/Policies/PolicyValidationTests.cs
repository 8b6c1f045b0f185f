using Broker.DataModel.Encoding;
using Broker.Engine.Policies;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Policies;

/// <summary>
/// Policies are refused with RabbitMQ's reason texts. Each expected text is the reason RabbitMQ 3.10.8
/// answered for the same body on PUT /api/policies/{vhost}/{name} (or /api/operator-policies/...), with
/// the management API's HTML escaping of &lt; and &gt; undone.
/// </summary>
public class PolicyValidationTests
{
    private static FieldTable Def(params (string Key, object? Value)[] entries) => Host.Args(entries);

    private static string? Create(object? pattern, FieldTable definition, object? priority = null, object? applyTo = null, bool operatorPolicy = false) =>
        PolicyValidation.TryCreate("/", "p", pattern, definition, priority ?? 0L, applyTo ?? Host.Str("all"), operatorPolicy, out _);

    private static string Failed(params string[] lines) => "Validation failed\n\n" + string.Concat(lines.Select(l => l + "\n"));

    [Fact]
    public void A_valid_policy_is_made()
    {
        var error = PolicyValidation.TryCreate(
            "/", "ttl", Host.Str("^pt-"), Def(("message-ttl", 1000L)), 1L, Host.Str("queues"), operatorPolicy: false, out var policy);

        Assert.Null(error);
        Assert.NotNull(policy);
        Assert.Equal(("/", "ttl", "^pt-", "queues", 1), (policy.VirtualHost, policy.Name, policy.Pattern, policy.ApplyTo, policy.Priority));
        Assert.Equal(1000L, policy.Definition["message-ttl"]);
    }

    [Theory]
    [InlineData("(", "{\"missing )\",1}")]
    [InlineData("*", "{\"nothing to repeat\",0}")]
    [InlineData("a**", "{\"nothing to repeat\",2}")]
    [InlineData("{1}", "{\"nothing to repeat\",2}")]
    [InlineData("(?z)", "{\"unrecognized character after (? or (?-\",\n                                                      2}")]
    [InlineData(")", "{\"unmatched parentheses\",\n                                                      0}")]
    [InlineData("a)b(", "{\"unmatched parentheses\",\n                                                      1}")]
    [InlineData("a{2,1}", "{\"numbers out of order in {} quantifier\",\n                                                      5}")]
    [InlineData("[a", "{\"missing terminating ] for character class\",\n                                                      2}")]
    [InlineData("[b-a]", "{\"range out of order in character class\",\n                                                      3}")]
    [InlineData("\\", "{\"\\\\ at end of pattern\",\n                                                      1}")]
    [InlineData("\\c", "{\"\\\\c at end of pattern\",\n                                                      2}")]
    [InlineData("(?<n", "{\"syntax error in subpattern name (missing terminator)\",\n                                                      4}")]
    [InlineData("\\k", "{\"\\\\k is not followed by a braced, angle-bracketed, or quoted name\",\n                                                      1}")]
    [InlineData("x{99999}", "{\"number too big in {} quantifier\",\n                                                      7}")]
    [InlineData("[[:foo:]]", "{\"unknown POSIX class name\",\n                                                      3}")]
    [InlineData("\\p{Foo}", "{\"unknown property name after \\\\P or \\\\p\",\n                                                      6}")]
    [InlineData("\\x{110000}", "{\"character value in \\\\x{} or \\\\o{} is too large\",\n                                                      9}")]
    public void An_invalid_pattern_gets_pcres_message_and_offset(string pattern, string term)
    {
        Assert.Equal(Failed("pattern should be regular expression but is invalid: " + term), Create(Host.Str(pattern), Def(("expires", 1L))));
    }

    [Theory]
    [InlineData("(?P<n>a)")]
    [InlineData("[[:alpha:]]+")]
    [InlineData("\\Qa.b\\E")]
    [InlineData("\\x{41}")]
    [InlineData("a\\Z")]
    public void Pcre_syntax_that_dotnet_lacks_is_accepted(string pattern)
    {
        Assert.Null(Create(Host.Str(pattern), Def(("expires", 1L))));
    }

    [Fact]
    public void Unknown_keys_are_not_recognised_policy_settings()
    {
        Assert.Equal(Failed("[{<<\"foo\">>,1}] are not recognised policy settings"), Create(Host.Str("x"), Def(("foo", 1L))));

        // Listed in key order, after every known key checked out.
        Assert.Equal(
            Failed("[{<<\"bar\">>,[1,2]},{<<\"foo\">>,1}] are not recognised policy settings"),
            Create(Host.Str("x"), Def(("ha-mode", Host.Str("all")), ("queue-master-locator", Host.Str("min-masters")), ("foo", 1L), ("bar", new List<object?> { 1L, 2L }))));
    }

    [Fact]
    public void Operator_policies_take_only_the_limits()
    {
        Assert.Equal(
            Failed("[{<<\"alternate-exchange\">>,<<\"ae\">>},\n {<<\"dead-letter-exchange\">>,<<\"d\">>},\n {<<\"queue-mode\">>,<<\"lazy\">>}] are not recognised policy settings"),
            Create(Host.Str("x"), Def(("message-ttl", 1L), ("queue-mode", Host.Str("lazy")), ("alternate-exchange", Host.Str("ae")), ("dead-letter-exchange", Host.Str("d"))), operatorPolicy: true));
        Assert.Equal(
            Failed("[{<<\"ha-mode\">>,<<\"all\">>},{<<\"max-age\">>,<<\"1D\">>}] are not recognised policy settings"),
            Create(Host.Str("x"), Def(("max-age", Host.Str("1D")), ("ha-mode", Host.Str("all"))), operatorPolicy: true));
        Assert.Null(Create(Host.Str("x"), Def(("max-length", 1L), ("max-length-bytes", 2L), ("message-ttl", 3L), ("expires", 4L), ("delivery-limit", 5L)), operatorPolicy: true));
    }

    [Theory]
    [InlineData("message-ttl", "abc", "<<\"abc\">> is not a valid message TTL")]
    [InlineData("message-ttl", -1L, "-1 is not a valid message TTL")]
    [InlineData("message-ttl", 1.5, "1.5 is not a valid message TTL")]
    [InlineData("expires", 0L, "0 is not a valid queue expiry")]
    [InlineData("max-length", "x", "<<\"x\">> is not a valid maximum length")]
    [InlineData("max-length", 1000.0, "1.0e3 is not a valid maximum length")]
    [InlineData("max-in-memory-length", -1L, "-1 is not a valid maximum memory in bytes")]
    [InlineData("dead-letter-exchange", 5L, "5 is not a valid dead letter exchange name")]
    [InlineData("alternate-exchange", true, "true is not a valid alternate exchange name")]
    [InlineData("dead-letter-routing-key", null, "null is not a valid dead letter routing key")]
    [InlineData("dead-letter-strategy", "x", "<<\"x\">> is not a valid dead letter strategy")]
    [InlineData("max-age", "1X", "<<\"1X\">> is not a valid max age")]
    [InlineData("max-age", "10", "<<\"10\">> is not a valid max age")]
    [InlineData("stream-max-segment-size-bytes", 3000000001L, "3000000001 is not a valid segment size")]
    [InlineData("queue-version", 1.0, "1.0 is not a valid queue-version value")]
    [InlineData("initial-cluster-size", -1L, "-1 is not a valid cluster size")]
    [InlineData("queue-leader-locator", "x", "<<\"x\">> is not a valid queue leader locator value")]
    [InlineData("queue-master-locator", "bogus", "<<\"bogus\">> invalid queue-master-locator value")]
    public void A_bad_value_gets_its_validators_text(string key, object? value, string text)
    {
        var definition = Def((key, value is string s ? Host.Str(s) : value));
        Assert.Equal(Failed(text), Create(Host.Str("x"), definition));
    }

    [Fact]
    public void A_json_object_or_char_list_value_prints_as_erlang_does()
    {
        Assert.Equal(Failed("#{<<\"a\">> => 1} is not a valid message TTL"), Create(Host.Str("x"), Def(("message-ttl", Def(("a", 1L))))));
        Assert.Equal(Failed("\"hi\" is not a valid message TTL"), Create(Host.Str("x"), Def(("message-ttl", new List<object?> { 104L, 105L }))));
    }

    [Fact]
    public void The_first_error_in_validator_order_wins()
    {
        // queue-master-locator's validator runs first, then rabbit_policies' keys in order, then mirroring.
        Assert.Equal(Failed("<<\"bogus\">> invalid queue-master-locator value"),
            Create(Host.Str("x"), Def(("ha-mode", Host.Str("bogus")), ("queue-master-locator", Host.Str("bogus")))));
        Assert.Equal(Failed("<<\"bogus\">> invalid queue-master-locator value"),
            Create(Host.Str("x"), Def(("expires", 0L), ("queue-master-locator", Host.Str("bogus")))));
        Assert.Equal(Failed("-1 is not a valid message TTL"), Create(Host.Str("x"), Def(("message-ttl", -1L), ("ha-mode", Host.Str("bogus")))));
        Assert.Equal(Failed("<<\"x\">> is not a valid maximum length"), Create(Host.Str("x"), Def(("message-ttl", -1L), ("max-length", Host.Str("x")))));
    }

    [Theory]
    [InlineData("{\"ha-mode\":\"exactly\"}", "ha-mode=\"exactly\" takes an integer, none given")]
    [InlineData("{\"ha-params\":2}", "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown")]
    [InlineData("{\"ha-sync-batch-size\":5}", "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown")]
    [InlineData("{\"ha-mode\":\"nodes\"}", "ha-mode=\"nodes\" takes a list, none given")]
    [InlineData("{\"ha-mode\":\"nodes\",\"ha-params\":[]}", "ha-mode=\"nodes\" list must be non-empty")]
    [InlineData("{\"ha-mode\":\"nodes\",\"ha-params\":[\"a\",1]}", "ha-mode=\"nodes\" takes a list of strings, [1] was not a string")]
    [InlineData("{\"ha-mode\":\"all\",\"ha-params\":1}", "ha-mode=\"all\" does not take parameters")]
    [InlineData("{\"ha-mode\":\"exactly\",\"ha-params\":0}", "ha-mode=\"exactly\" takes an integer, 0 given")]
    [InlineData("{\"ha-mode\":\"bogus\"}", "<<\"bogus\">> is not a valid ha-mode value")]
    [InlineData("{\"ha-mode\":\"all\",\"ha-sync-mode\":\"x\"}", "ha-sync-mode must be \"manual\" or \"automatic\", got <<\"x\">>")]
    [InlineData("{\"ha-mode\":\"all\",\"ha-sync-batch-size\":0}", "ha-sync-batch-size takes an integer greater than 0, 0 given")]
    [InlineData("{\"ha-mode\":\"all\",\"ha-promote-on-shutdown\":\"x\"}", "ha-promote-on-shutdown must be \"always\" or \"when-synced\", got <<\"x\">>")]
    [InlineData("{\"ha-mode\":\"all\",\"ha-promote-on-failure\":\"x\"}", "ha-promote-on-failure must be \"always\" or \"when-synced\", got <<\"x\">>")]
    public void Mirroring_keys_are_validated_as_rabbitmq_does(string json, string text)
    {
        Assert.Equal(Failed(text), Create(Host.Str("x"), Json(json)));
    }

    [Fact]
    public void Valid_mirroring_keys_are_accepted()
    {
        Assert.Null(Create(Host.Str("x"), Json("{\"ha-mode\":\"exactly\",\"ha-params\":2,\"ha-sync-mode\":\"automatic\",\"ha-sync-batch-size\":10,\"ha-promote-on-shutdown\":\"always\",\"ha-promote-on-failure\":\"when-synced\"}")));
        Assert.Null(Create(Host.Str("x"), Json("{\"ha-mode\":\"nodes\",\"ha-params\":[\"rabbit@a\",\"rabbit@b\"]}")));
    }

    [Fact]
    public void Every_problem_is_listed_definition_first_priority_last()
    {
        Assert.Equal(
            Failed(
                "<<\"x\">> is not a valid message TTL",
                "apply-to 'bogus' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', 'streams', 'exchanges', or 'all'",
                "pattern should be regular expression but is invalid: {\"missing )\",1}",
                "priority should be a number, actually was <<\"z\">>"),
            Create(Host.Str("("), Def(("message-ttl", Host.Str("x"))), priority: Host.Str("z"), applyTo: Host.Str("bogus")));
    }

    [Fact]
    public void Wrongly_typed_fields_are_named()
    {
        Assert.Equal(Failed("pattern should be a binary but was 1"), Create(1L, Def(("message-ttl", 1L))));
        Assert.Equal(Failed("priority should be a number, actually was <<\"5\">>"), Create(Host.Str("x"), Def(("message-ttl", 1L)), priority: Host.Str("5")));
        Assert.Equal(Failed("no policy provided"), Create(Host.Str("x"), Def()));
        Assert.Equal(
            Failed("apply-to 'null' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', 'streams', 'exchanges', or 'all'"),
            PolicyValidation.TryCreate("/", "p", Host.Str("x"), Def(("message-ttl", 1L)), 0L, null, false, out _));
        Assert.Equal(
            Failed("priority should be a number, actually was null"),
            PolicyValidation.TryCreate("/", "p", Host.Str("x"), Def(("message-ttl", 1L)), null, Host.Str("all"), false, out _));
    }

    [Fact]
    public void Apply_to_takes_rabbitmq_3_12s_queue_types_too()
    {
        foreach (var applyTo in new[] { "all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams" })
        {
            Assert.Null(Create(Host.Str("x"), Def(("max-length", 1L)), applyTo: Host.Str(applyTo)));
        }
    }

    [Fact]
    public void A_fractional_priority_is_accepted_and_rounded_down()
    {
        Assert.Null(PolicyValidation.TryCreate("/", "p", Host.Str("x"), Def(("message-ttl", 1L)), 1.5, Host.Str("all"), false, out var policy));
        Assert.Equal(1, policy!.Priority);
    }

    [Fact]
    public void The_definition_is_kept_in_key_order()
    {
        var policy = new Policy("/", "p", "x", "all", 0, Def(("overflow", Host.Str("drop-head")), ("max-length", 3L), ("message-ttl", 1L)));
        Assert.Equal(["max-length", "message-ttl", "overflow"], policy.Definition.Select(e => e.Key));
        Assert.Null(PolicyValidation.Validate(policy, operatorPolicy: false));
    }

    /// <summary>A definition as a JSON body gives it (strings as bytes, numbers as longs).</summary>
    private static FieldTable Json(string json)
    {
        var table = new FieldTable();
        foreach (var property in System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateObject())
        {
            table[property.Name] = Value(property.Value);
        }

        return table;

        static object? Value(System.Text.Json.JsonElement element) => element.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => Host.Str(element.GetString()!),
            System.Text.Json.JsonValueKind.Number => element.TryGetInt64(out var integer) ? (object)integer : element.GetDouble(),
            System.Text.Json.JsonValueKind.Array => element.EnumerateArray().Select(Value).ToList(),
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            _ => null,
        };
    }
}
