using Broker.DataModel.Encoding;
using Broker.Engine.Arguments;
using Broker.Engine.Errors;
using Broker.Engine.Queues;
using Broker.Engine.Tests.Support;

namespace Broker.Engine.Tests.Arguments;

public class QueueArgumentsTests
{
    private const string Resource = "queue 'q' in vhost '/'";

    private static EngineError Validate(params (string Key, object? Value)[] arguments)
    {
        var table = Host.Args(arguments);
        var error = QueueArguments.ResolveType(table, Resource, new QueueTypeRegistry(), out var type);
        return error.IsError ? error : QueueArguments.Validate(table, Resource, type);
    }

    private static void AssertInvalid(EngineError error, string key, string problem) =>
        Host.AssertError(error, ErrorKind.PreconditionFailed, $"invalid arg '{key}' for {Resource}: {problem}");

    public static TheoryData<string, object?, string> BadValues() => new()
    {
        { "x-expires", 0, "{value_zero,0}" },
        { "x-expires", -1, "{value_negative,-1}" },
        { "x-expires", 315_360_000_001L, "{value_too_large,315360000001}" },
        { "x-expires", Host.Str("60000"), "\"expected integer, got longstr\"" },
        { "x-message-ttl", -5L, "{value_negative,-5}" },
        { "x-message-ttl", 1.5, "\"expected integer, got double\"" },
        { "x-message-ttl", 315_360_000_001L, "{value_too_large,315360000001}" },
        { "x-dead-letter-routing-key", 5, "{unacceptable_type,signedint}" },
        { "x-max-length", -1, "{value_negative,-1}" },
        { "x-max-length", Host.Str("10"), "\"expected integer, got longstr\"" },
        { "x-max-length-bytes", (short)-2, "{value_negative,-2}" },
        { "x-max-priority", 256, "{max_value_exceeded,256}" },
        { "x-max-priority", -1, "{value_negative,-1}" },
        { "x-max-priority", true, "\"expected integer, got bool\"" },
        { "x-overflow", Host.Str("drop-tail"), "invalid_overflow" },
        { "x-overflow", 1, "{unacceptable_type,signedint}" },
        { "x-queue-mode", Host.Str("fast"), "\"unsupported queue mode 'fast'\"" },
        { "x-queue-mode", 1, "{unacceptable_type,signedint}" },
        { "x-queue-version", 3, "\"unsupported queue version '3'\"" },
        { "x-queue-version", Host.Str("2"), "\"expected integer, got longstr\"" },
        { "x-single-active-consumer", 1, "{unacceptable_type,signedint}" },
        { "x-single-active-consumer", Host.Str("true"), "{unacceptable_type,longstr}" },
        { "x-queue-type", Host.Str("fancy"), "\"unsupported queue type 'fancy'\"" },
        { "x-queue-type", 1, "{unacceptable_type,signedint}" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Bad_values_are_refused_with_RabbitMQs_error_terms(string key, object? value, string problem) =>
        AssertInvalid(Validate((key, value)), key, problem);

    public static TheoryData<string, object?> GoodValues() => new()
    {
        { "x-expires", 1 },
        { "x-expires", 315_360_000_000L },
        { "x-message-ttl", 0 },
        { "x-message-ttl", (byte)5 },
        { "x-max-length", 0 },
        { "x-max-length-bytes", 4000000000u },
        { "x-max-priority", 0 },
        { "x-max-priority", 255 },
        { "x-max-priority", (byte)10 },
        { "x-overflow", Host.Str("drop-head") },
        { "x-overflow", Host.Str("reject-publish") },
        { "x-overflow", Host.Str("reject-publish-dlx") },
        { "x-queue-mode", Host.Str("lazy") },
        { "x-queue-mode", Host.Str("default") },
        { "x-queue-version", 1 },
        { "x-queue-version", (byte)2 },
        { "x-single-active-consumer", false },
        { "x-queue-type", Host.Str("classic") },
        { "x-dead-letter-exchange", Host.Str("") },
        { "x-custom-argument", new FieldTable() },
        { "no-prefix", 1.5 },
    };

    [Theory]
    [MemberData(nameof(GoodValues))]
    public void Good_values_and_unknown_arguments_are_accepted(string key, object? value) =>
        Assert.False(Validate((key, value)).IsError);

    [Fact]
    public void A_dead_letter_routing_key_needs_a_dead_letter_exchange()
    {
        AssertInvalid(Validate(("x-dead-letter-routing-key", Host.Str("rk"))), "x-dead-letter-routing-key", "routing_key_but_no_dlx_defined");
        Assert.False(Validate(("x-dead-letter-routing-key", Host.Str("rk")), ("x-dead-letter-exchange", Host.Str("dlx"))).IsError);
    }

    [Fact]
    public void The_first_bad_argument_in_RabbitMQs_order_is_reported_whatever_the_table_order()
    {
        var error = Validate(("x-max-priority", 1000), ("x-max-length", -1), ("x-expires", 0));

        AssertInvalid(error, "x-expires", "{value_zero,0}");
    }

    [Theory]
    [InlineData("x-max-in-memory-length", 10)]
    [InlineData("x-max-in-memory-bytes", 10)]
    [InlineData("x-delivery-limit", 3)]
    [InlineData("x-max-age", "1D")]
    [InlineData("x-quorum-initial-group-size", 3)]
    public void Arguments_of_other_queue_types_are_refused_for_a_classic_queue(string key, object value)
    {
        object argument = value is string text ? Host.Str(text) : value;

        Host.AssertError(
            Validate((key, argument)),
            ErrorKind.PreconditionFailed,
            $"invalid arg '{key}' for {Resource} of queue type rabbit_classic_queue");
    }

    [Fact]
    public void Quorum_queues_refuse_classic_only_arguments_and_check_their_own()
    {
        var quorum = ("x-queue-type", (object?)Host.Str("quorum"));

        Host.AssertError(Validate(quorum, ("x-max-priority", 5)), ErrorKind.PreconditionFailed, $"invalid arg 'x-max-priority' for {Resource} of queue type rabbit_quorum_queue");
        AssertInvalid(Validate(quorum, ("x-quorum-initial-group-size", 0)), "x-quorum-initial-group-size", "{value_zero,0}");
        Assert.False(Validate(quorum, ("x-max-in-memory-length", 10), ("x-delivery-limit", 5)).IsError);
        Assert.Equal("quorum", QueueArguments.QueueType(Host.Args(quorum)));
        Assert.Equal("classic", QueueArguments.QueueType(new FieldTable()));
    }

    [Fact]
    public void Declaring_reports_argument_errors_and_creates_nothing()
    {
        var host = new Host();

        var error = host.VHost.DeclareQueue("q", false, false, false, false, Host.Args(("x-max-priority", 300)), host.Connection).Error;

        AssertInvalid(error, "x-max-priority", "{max_value_exceeded,300}");
        Assert.False(host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void A_dead_letter_exchange_that_is_not_a_string_is_refused_on_declare()
    {
        var host = new Host();

        var error = host.VHost.DeclareQueue("q", false, false, false, false, Host.Args(("x-dead-letter-exchange", 5)), host.Connection).Error;

        Host.AssertError(error, ErrorKind.PreconditionFailed, $"invalid type 'signedint' for arg 'x-dead-letter-exchange' in {Resource}");
    }

    [Fact]
    public void Quorum_queues_must_be_durable_non_exclusive_non_auto_delete_and_client_named()
    {
        var host = new Host();
        var quorum = Host.Args(("x-queue-type", Host.Str("quorum")));

        Host.AssertError(host.VHost.DeclareQueue("q", false, durable: false, false, false, quorum, host.Connection).Error, ErrorKind.PreconditionFailed, $"invalid property 'non-durable' for {Resource}");
        Host.AssertError(host.VHost.DeclareQueue("q", false, durable: true, false, autoDelete: true, quorum, host.Connection).Error, ErrorKind.PreconditionFailed, $"invalid property 'auto-delete' for {Resource}");
        Host.AssertError(host.VHost.DeclareQueue("q", false, durable: true, exclusive: true, false, quorum, host.Connection).Error, ErrorKind.PreconditionFailed, $"invalid property 'exclusive-owner' for {Resource}");
        Host.AssertError(host.VHost.DeclareQueue("", false, durable: true, false, false, quorum, host.Connection).Error, ErrorKind.PreconditionFailed, "Cannot declare a server-named queue for type rabbit_quorum_queue");
        Assert.False(host.VHost.DeclareQueue("q", false, durable: true, false, false, quorum, host.Connection).IsError);
    }
}
