using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Exchanges;

/// <summary>The headers exchange against RabbitMQ's rabbit_exchange_type_headers:headers_match.</summary>
public class HeadersRoutingTests
{
    private static readonly byte[] All = Host.Str("all");
    private static readonly byte[] Any = Host.Str("any");
    private static readonly byte[] AllWithX = Host.Str("all-with-x");
    private static readonly byte[] AnyWithX = Host.Str("any-with-x");

    /// <summary>True if a message with <paramref name="headers"/> reaches a queue bound with <paramref name="binding"/>.</summary>
    private static bool Routes(FieldTable binding, FieldTable? headers)
    {
        var host = new Host();
        host.Exchange("h", ExchangeTypes.Headers);
        host.Queue("q");
        host.Bind("q", "h", "ignored", binding);
        return host.Route("h", "any-key", headers).Count == 1;
    }

    private static FieldTable T(params (string Key, object? Value)[] entries) => Host.Args(entries);

    [Fact]
    public void All_needs_every_binding_header_with_an_equal_value()
    {
        var binding = T(("x-match", All), ("format", Host.Str("pdf")), ("type", Host.Str("report")));

        Assert.True(Routes(binding, T(("format", Host.Str("pdf")), ("type", Host.Str("report")))));
        Assert.True(Routes(binding, T(("type", Host.Str("report")), ("extra", 1), ("format", Host.Str("pdf")))));
        Assert.False(Routes(binding, T(("format", Host.Str("pdf")))));
        Assert.False(Routes(binding, T(("format", Host.Str("pdf")), ("type", Host.Str("log")))));
        Assert.False(Routes(binding, null));
    }

    [Fact]
    public void All_is_the_default_without_x_match()
    {
        var binding = T(("a", 1), ("b", 2));

        Assert.True(Routes(binding, T(("a", 1), ("b", 2))));
        Assert.False(Routes(binding, T(("a", 1))));
    }

    [Fact]
    public void Any_needs_one_binding_header_with_an_equal_value()
    {
        var binding = T(("x-match", Any), ("format", Host.Str("pdf")), ("type", Host.Str("report")));

        Assert.True(Routes(binding, T(("format", Host.Str("pdf")))));
        Assert.True(Routes(binding, T(("format", Host.Str("zip")), ("type", Host.Str("report")))));
        Assert.False(Routes(binding, T(("format", Host.Str("zip")), ("type", Host.Str("log")))));
        Assert.False(Routes(binding, T(("other", Host.Str("pdf")))));
        Assert.False(Routes(binding, null));
    }

    [Fact]
    public void A_void_binding_value_matches_the_presence_of_the_header()
    {
        Assert.True(Routes(T(("x-match", All), ("flag", null)), T(("flag", Host.Str("anything")))));
        Assert.True(Routes(T(("x-match", All), ("flag", null)), T(("flag", null))));
        Assert.True(Routes(T(("x-match", All), ("flag", null)), T(("flag", 0))));
        Assert.False(Routes(T(("x-match", All), ("flag", null)), T(("other", 1))));
        Assert.True(Routes(T(("x-match", Any), ("flag", null), ("k", 1)), T(("flag", false))));
    }

    [Fact]
    public void A_void_header_value_matches_only_a_void_binding_value()
    {
        Assert.False(Routes(T(("k", 0)), T(("k", null))));
        Assert.False(Routes(T(("k", Host.Str(""))), T(("k", null))));
    }

    [Fact]
    public void Integers_of_different_types_with_equal_values_match()
    {
        Assert.True(Routes(T(("n", 42)), T(("n", 42L))));
        Assert.True(Routes(T(("n", 42L)), T(("n", (byte)42))));
        Assert.True(Routes(T(("n", (short)-5)), T(("n", (sbyte)-5))));
        Assert.True(Routes(T(("n", 4000000000u)), T(("n", 4000000000L))));
        Assert.True(Routes(T(("n", (ushort)65535)), T(("n", 65535))));
        Assert.False(Routes(T(("n", 42)), T(("n", 43L))));
        Assert.False(Routes(T(("n", -1)), T(("n", 4294967295u))));
    }

    [Fact]
    public void Integers_and_floats_with_equal_values_match_as_in_Erlang()
    {
        Assert.True(Routes(T(("n", 1)), T(("n", 1.0))));
        Assert.True(Routes(T(("n", 1.0f)), T(("n", 1L))));
        Assert.True(Routes(T(("n", 2.5f)), T(("n", 2.5))));
        Assert.False(Routes(T(("n", 1)), T(("n", 1.5))));
        Assert.False(Routes(T(("n", 0.1f)), T(("n", 0.1))));
    }

    [Theory]
    [InlineData(18014398509481985L, 18014398509481984.0)]
    [InlineData(1152921504606846977L, 1152921504606846976.0)]
    public void Large_integers_and_floats_compare_exactly_as_in_Erlang(long integer, double number)
    {
        Assert.False(Routes(T(("n", integer)), T(("n", number))));
        Assert.False(Routes(T(("n", number)), T(("n", integer))));
    }

    [Fact]
    public void Strings_compare_by_bytes_and_longstr_equals_binary()
    {
        Assert.True(Routes(T(("s", Host.Str("é"))), T(("s", Host.Str("é")))));
        Assert.False(Routes(T(("s", Host.Str("a"))), T(("s", Host.Str("A")))));
        Assert.False(Routes(T(("s", Host.Str("a"))), T(("s", Host.Str("ab")))));
        Assert.True(Routes(T(("s", Host.Str("bin"))), T(("s", new AmqpBinary(Host.Str("bin"))))));
        Assert.True(Routes(T(("s", new AmqpBinary(Host.Str("bin")))), T(("s", Host.Str("bin")))));
        Assert.False(Routes(T(("s", Host.Str("1"))), T(("s", 1))));
    }

    [Fact]
    public void Booleans_match_only_booleans()
    {
        Assert.True(Routes(T(("b", true)), T(("b", true))));
        Assert.False(Routes(T(("b", true)), T(("b", false))));
        Assert.False(Routes(T(("b", true)), T(("b", 1))));
        Assert.False(Routes(T(("b", 1)), T(("b", true))));
    }

    [Fact]
    public void Timestamps_decimals_tables_and_arrays_compare_by_value()
    {
        Assert.True(Routes(T(("t", new AmqpTimestamp(100))), T(("t", new AmqpTimestamp(100)))));
        Assert.True(Routes(T(("t", new AmqpTimestamp(100))), T(("t", 100L))));
        Assert.False(Routes(T(("t", new AmqpTimestamp(100))), T(("t", new AmqpTimestamp(101)))));
        Assert.True(Routes(T(("d", new AmqpDecimal(2, 150))), T(("d", new AmqpDecimal(2, 150)))));
        Assert.False(Routes(T(("d", new AmqpDecimal(2, 150))), T(("d", 150))));
        Assert.True(Routes(T(("f", T(("a", 1)))), T(("f", T(("a", 1))))));
        Assert.False(Routes(T(("f", T(("a", 1)))), T(("f", T(("a", 2))))));
        Assert.True(Routes(T(("l", new List<object?> { 1, Host.Str("x") })), T(("l", new List<object?> { 1, Host.Str("x") }))));
        Assert.False(Routes(T(("l", new List<object?> { 1 })), T(("l", new List<object?> { 1, 2 }))));
    }

    [Fact]
    public void Binding_keys_starting_with_x_are_ignored_unless_the_mode_is_with_x()
    {
        var headers = T(("x-trace", Host.Str("on")), ("a", 1));

        Assert.True(Routes(T(("x-match", All), ("a", 1), ("x-trace", Host.Str("off"))), headers));
        Assert.False(Routes(T(("x-match", AllWithX), ("a", 1), ("x-trace", Host.Str("off"))), headers));
        Assert.True(Routes(T(("x-match", AllWithX), ("a", 1), ("x-trace", Host.Str("on"))), headers));

        Assert.False(Routes(T(("x-match", Any), ("x-trace", Host.Str("on")), ("a", 2)), headers));
        Assert.True(Routes(T(("x-match", AnyWithX), ("x-trace", Host.Str("on")), ("a", 2)), headers));
        Assert.False(Routes(T(("x-match", AnyWithX), ("x-trace", Host.Str("off")), ("a", 2)), headers));
    }

    [Fact]
    public void X_match_itself_is_never_a_header_to_match()
    {
        Assert.True(Routes(T(("x-match", AllWithX), ("a", 1)), T(("a", 1))));
        Assert.False(Routes(T(("x-match", AnyWithX)), T(("x-match", AnyWithX))));
    }

    [Fact]
    public void An_empty_pattern_matches_everything_with_all_and_nothing_with_any()
    {
        Assert.True(Routes(T(("x-match", All)), null));
        Assert.True(Routes(T(("x-match", All)), T(("a", 1))));
        Assert.True(Routes(T(), null));
        Assert.False(Routes(T(("x-match", Any)), T(("a", 1))));
        Assert.False(Routes(T(("x-match", Any)), null));

        // Only x- keys, not counted in all/any: as empty.
        Assert.True(Routes(T(("x-match", All), ("x-a", 1)), null));
        Assert.False(Routes(T(("x-match", Any), ("x-a", 1)), T(("x-a", 1))));
    }

    [Fact]
    public void Header_order_does_not_matter()
    {
        var binding = T(("x-match", All), ("z", 1), ("a", 2), ("m", 3));

        Assert.True(Routes(binding, T(("m", 3), ("z", 1), ("a", 2))));
        Assert.True(Routes(binding, T(("a", 2), ("m", 3), ("z", 1))));
    }

    [Fact]
    public void Several_bindings_route_by_their_own_patterns_and_unbind_separately()
    {
        var host = new Host();
        host.Exchange("h", ExchangeTypes.Headers);
        host.Queue("pdf");
        host.Queue("reports");
        host.Bind("pdf", "h", "", T(("format", Host.Str("pdf"))));
        host.Bind("reports", "h", "", T(("x-match", Any), ("type", Host.Str("report")), ("format", Host.Str("report"))));
        host.Bind("reports", "h", "", T(("format", Host.Str("pdf")), ("urgent", true)));

        Assert.Equal(["pdf"], host.RouteSet("h", "", T(("format", Host.Str("pdf")))));
        Assert.Equal(["pdf", "reports"], host.RouteSet("h", "", T(("format", Host.Str("pdf")), ("urgent", true))));
        Assert.Equal(["reports"], host.RouteSet("h", "", T(("type", Host.Str("report")))));

        host.Unbind("reports", "h", "", T(("format", Host.Str("pdf")), ("urgent", true)));
        Assert.Equal(["pdf"], host.RouteSet("h", "", T(("format", Host.Str("pdf")), ("urgent", true))));
        Assert.Equal(["reports"], host.RouteSet("h", "", T(("type", Host.Str("report")))));
    }

    [Fact]
    public void The_routing_key_is_ignored()
    {
        var host = new Host();
        host.Exchange("h", ExchangeTypes.Headers);
        host.Queue("q");
        host.Bind("q", "h", "some-key", T(("a", 1)));

        Assert.Equal(["q"], host.Route("h", "another-key", T(("a", 1))));
    }

    [Fact]
    public void Invalid_x_match_values_are_refused_with_RabbitMQs_texts()
    {
        var host = new Host();
        host.Exchange("h", ExchangeTypes.Headers);
        host.Queue("q");

        Host.AssertError(
            host.VHost.BindQueue("q", "h", "", T(("x-match", Host.Str("some"))), host.Connection),
            ErrorKind.PreconditionFailed,
            "Invalid x-match field value <<\"some\">>; expected all, any, all-with-x, or any-with-x");
        Host.AssertError(
            host.VHost.BindQueue("q", "h", "", T(("x-match", 1)), host.Connection),
            ErrorKind.PreconditionFailed,
            "Invalid x-match field type signedint (value 1); expected longstr");
        Assert.Equal(0, host.VHost.TryGetExchange("h", out var exchange) ? exchange.BindingCount : -1);
    }

    [Fact]
    public void An_x_match_given_as_a_string_is_accepted_like_its_bytes()
    {
        var host = new Host();
        host.Exchange("h", ExchangeTypes.Headers);
        host.Queue("q");

        var error = host.VHost.BindQueue("q", "h", "", T(("x-match", "any"), ("a", 1), ("b", 2)), host.Connection);

        Assert.False(error.IsError, error.Text);
        Assert.Equal(["q"], host.Route("h", "", T(("b", 2))));
    }
}
