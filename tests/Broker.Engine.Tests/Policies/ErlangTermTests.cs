using Broker.DataModel.Encoding;
using Broker.Engine.Policies;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Policies;

/// <summary>
/// Values in policy errors print as Erlang's io_lib:format ~p prints them. Every expected text here is
/// what erl (OTP 25, stdlib 4.2, the one RabbitMQ 3.10.8 runs on) printed for the same term and format.
/// </summary>
public class ErlangTermTests
{
    private static List<object?> List(params object?[] items) => [.. items];

    [Fact]
    public void A_string_value_prints_as_a_binary()
    {
        Assert.Equal("<<\"abc\">> is not a valid message TTL", ErlangTerm.Format("~p is not a valid message TTL", Host.Str("abc")));
        Assert.Equal("<<\"a\\\"b\\\\c\">> <<1,2>>", ErlangTerm.Format("~p ~p", "a\"b\\c", new byte[] { 1, 2 }));
    }

    [Fact]
    public void A_tuple_that_does_not_fit_after_the_text_breaks_below_its_opening_brace()
    {
        var unmatched = ErlangTerm.Tuple(ErlangTerm.Chars("unmatched parentheses"), 0L);
        Assert.Equal(
            "pattern should be regular expression but is invalid: {\"unmatched parentheses\",\n                                                      0}",
            ErlangTerm.Format("pattern should be regular expression but is invalid: ~p", unmatched));
        Assert.Equal(
            "pattern should be regular expression but is invalid: {\"missing )\",1}",
            ErlangTerm.Format("pattern should be regular expression but is invalid: ~p", ErlangTerm.Tuple(ErlangTerm.Chars("missing )"), 1L)));
    }

    [Fact]
    public void A_list_of_tuples_too_long_for_a_line_puts_each_on_its_own()
    {
        var terms = List(
            ErlangTerm.Tuple("alternate-exchange", "ae"), ErlangTerm.Tuple("dead-letter-exchange", "d"), ErlangTerm.Tuple("queue-mode", "lazy"));
        Assert.Equal(
            "[{<<\"alternate-exchange\">>,<<\"ae\">>},\n {<<\"dead-letter-exchange\">>,<<\"d\">>},\n {<<\"queue-mode\">>,<<\"lazy\">>}] are not recognised policy settings",
            ErlangTerm.Format("~p are not recognised policy settings", terms));
    }

    [Fact]
    public void Simple_elements_fill_lines()
    {
        Assert.Equal(
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,\n 29,30,31,32,33,34,35,36] is",
            ErlangTerm.Format("~p is", Enumerable.Range(1, 36).Select(i => (object?)(long)i).ToList()));
        Assert.Equal(
            "[<<\"aaaaaaaaaaaaaaaaa\">>,<<\"bbbbbbbbbbbbbbbbbbbbb\">>,\n <<\"cccccccccccccccccccccccccc\">>,<<\"ddddddddddddddddddddd\">>] is",
            ErlangTerm.Format("~p is", List("aaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccc", "ddddddddddddddddddddd")));
        Assert.Equal(
            "[<<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">>,\n 1]",
            ErlangTerm.Print(List(new string('a', 89), 1L)));
    }

    [Fact]
    public void Nested_terms_indent_under_their_parents()
    {
        var nested = List(ErlangTerm.Tuple("x", List(ErlangTerm.Tuple(new string('a', 36), new string('b', 44)))));
        Assert.Equal(
            "[{<<\"x\">>,\n  [{<<\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">>,\n    <<\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\">>}]}]",
            ErlangTerm.Print(nested));

        var map = new FieldTable { [new string('k', 38)] = new string('v', 51), ["k2"] = 1L };
        Assert.Equal(
            "[{<<\"federation-upstream-set\">>,<<\"all\">>},\n {<<\"x\">>,\n  #{<<\"k2\">> => 1,\n    <<\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\">> =>\n        <<\"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\">>}}] are not recognised policy settings",
            ErlangTerm.Format("~p are not recognised policy settings", List(ErlangTerm.Tuple("federation-upstream-set", "all"), ErlangTerm.Tuple("x", map))));
    }

    [Fact]
    public void Maps_print_in_key_order()
    {
        var map = new FieldTable { ["b"] = List(1L, 2L), ["a"] = 1L };
        Assert.Equal("#{<<\"a\">> => 1,<<\"b\">> => [1,2]} is", ErlangTerm.Format("~p is", map));
        Assert.Equal("#{}", ErlangTerm.Print(new FieldTable()));
    }

    [Fact]
    public void Floats_print_shortest_in_fixed_or_scientific_notation()
    {
        Assert.Equal(
            "1.5 1.0e20 0.1 100.0 123456789.0 1.0e-5 -0.0 3.0e15 1.0e3 0.001",
            ErlangTerm.Format("~p ~p ~p ~p ~p ~p ~p ~p ~p ~p", 1.5, 1.0e20, 0.1, 100.0, 123456789.0, 1.0e-5, -0.0, 3.0e15, 1000.0, 0.001));
    }

    [Fact]
    public void A_list_of_character_codes_prints_as_a_string_and_json_atoms_bare()
    {
        Assert.Equal("\"hi\"", ErlangTerm.Print(List(104L, 105L)));
        Assert.Equal(
            "ha-mode=\"nodes\" takes a list of strings, [1,true,null,2.5] was not a string",
            ErlangTerm.Format("ha-mode=\"nodes\" takes a list of strings, ~p was not a string", List(1L, true, null, 2.5)));
        Assert.Equal("[] <<>>", ErlangTerm.Format("~p ~p", List(), Array.Empty<byte>()));
    }

    [Fact]
    public void Tilde_s_prints_a_binary_or_atom_as_its_text()
    {
        Assert.Equal("apply-to 'bogus' unrecognised", ErlangTerm.Format("apply-to '~s' unrecognised", Host.Str("bogus")));
        Assert.Equal("apply-to 'null' unrecognised", ErlangTerm.Format("apply-to '~s' unrecognised", (object?)null));
    }
}
