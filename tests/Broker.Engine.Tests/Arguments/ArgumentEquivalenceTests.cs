using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Arguments;

/// <summary>rabbit_misc:assert_field_equivalence and assert_args_equivalence texts.</summary>
public class ArgumentEquivalenceTests
{
    private const string Resource = "queue 'q' in vhost '/'";

    private static EngineError Check(FieldTable current, FieldTable received, params string[] keys) =>
        ArgumentEquivalence.CheckArguments(current, received, Resource, keys.Length == 0 ? ["k"] : keys);

    private static void AssertInequivalent(EngineError error, string key, string received, string current) =>
        Host.AssertError(error, ErrorKind.PreconditionFailed, $"inequivalent arg '{key}' for {Resource}: received {received} but current is {current}");

    [Fact]
    public void Fields_compare_with_quoted_values()
    {
        Assert.False(ArgumentEquivalence.CheckField("direct", "direct", "type", Resource).IsError);
        Assert.False(ArgumentEquivalence.CheckField(true, true, "durable", Resource).IsError);
        AssertInequivalent(ArgumentEquivalence.CheckField("direct", "topic", "type", Resource), "type", "'topic'", "'direct'");
        AssertInequivalent(ArgumentEquivalence.CheckField(true, false, "durable", Resource), "durable", "'false'", "'true'");
    }

    [Fact]
    public void When_both_sides_have_the_key_the_texts_show_bare_values()
    {
        AssertInequivalent(Check(Host.Args(("k", 10)), Host.Args(("k", 20))), "k", "'20'", "'10'");
        AssertInequivalent(Check(Host.Args(("k", Host.Str("a"))), Host.Args(("k", Host.Str("b")))), "k", "'b'", "'a'");
        AssertInequivalent(Check(Host.Args(("k", true)), Host.Args(("k", false))), "k", "'false'", "'true'");
        AssertInequivalent(Check(Host.Args(("k", 1)), Host.Args(("k", 1.0))), "k", "'1'", "'1'");
    }

    [Fact]
    public void When_one_side_lacks_the_key_the_texts_show_none_or_the_typed_value()
    {
        AssertInequivalent(Check(Host.Args(("k", 10)), new FieldTable()), "k", "none", "the value '10' of type 'signedint'");
        AssertInequivalent(Check(new FieldTable(), Host.Args(("k", Host.Str("x")))), "k", "the value 'x' of type 'longstr'", "none");
        AssertInequivalent(Check(new FieldTable(), Host.Args(("k", 5L))), "k", "the value '5' of type 'long'", "none");
        AssertInequivalent(Check(Host.Args(("k", null)), new FieldTable()), "k", "none", "the value 'undefined' of type 'void'");
    }

    [Fact]
    public void Integer_types_are_one_class_and_float_types_another()
    {
        Assert.False(Check(Host.Args(("k", 10)), Host.Args(("k", 10L))).IsError);
        Assert.False(Check(Host.Args(("k", (byte)10)), Host.Args(("k", (short)10))).IsError);
        Assert.False(Check(Host.Args(("k", 4000000000u)), Host.Args(("k", 4000000000L))).IsError);
        Assert.False(Check(Host.Args(("k", 1.5f)), Host.Args(("k", 1.5))).IsError);
        Assert.True(Check(Host.Args(("k", 1)), Host.Args(("k", 1.0))).IsError);
        Assert.True(Check(Host.Args(("k", 1)), Host.Args(("k", Host.Str("1")))).IsError);
    }

    [Fact]
    public void Strings_and_bytes_compare_by_text()
    {
        Assert.False(Check(Host.Args(("k", Host.Str("abc"))), Host.Args(("k", "abc"))).IsError);
        Assert.False(Check(Host.Args(("k", "abc")), Host.Args(("k", Host.Str("abc")))).IsError);
    }

    [Fact]
    public void Only_the_listed_keys_are_compared_and_the_first_difference_is_reported()
    {
        var current = Host.Args(("a", 1), ("b", 1), ("ignored", 1));
        var received = Host.Args(("a", 2), ("b", 2), ("ignored", 2));

        AssertInequivalent(Check(current, received, "b", "a"), "b", "'2'", "'1'");
        Assert.False(Check(current, received, "ignored-too").IsError);
        Assert.False(Check(new FieldTable(), new FieldTable(), "a").IsError);
    }

    [Fact]
    public void An_absent_queue_type_is_classic()
    {
        var classic = Host.Args(("x-queue-type", Host.Str("classic")));
        var quorum = Host.Args(("x-queue-type", Host.Str("quorum")));

        Assert.False(Check(new FieldTable(), classic, "x-queue-type").IsError);
        Assert.False(Check(classic, new FieldTable(), "x-queue-type").IsError);
        AssertInequivalent(Check(new FieldTable(), quorum, "x-queue-type"), "x-queue-type", "the value 'quorum' of type 'longstr'", "none");
        AssertInequivalent(Check(classic, quorum, "x-queue-type"), "x-queue-type", "'quorum'", "'classic'");
    }
}
