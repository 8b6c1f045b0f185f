using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Queues;
using Broker.Engine.Queues.Classic;
using Broker.Engine.Tests.Support;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Tests.Queues;

/// <summary>
/// Queue types plug in through the engine's <see cref="QueueTypeRegistry"/>: x-queue-type picks one, its
/// supported arguments and its own checks decide what a declaration may ask for, and it makes the queue.
/// </summary>
public class QueueTypeTests
{
    private readonly Host _host = new();

    private Result<QueueDeclareResult> Declare(string name, FieldTable arguments, bool durable = false) =>
        _host.VHost.DeclareQueue(name, passive: false, durable, exclusive: false, autoDelete: false, arguments, _host.Connection);

    private static FieldTable OfType(string type, params (string Key, object? Value)[] more) =>
        Host.Args([("x-queue-type", Host.Str(type)), .. more]);

    private TestQueueType Register()
    {
        var type = new TestQueueType();
        _host.Engine.QueueTypes.Add(type);
        return type;
    }

    [Fact]
    public void A_fresh_engine_offers_classic_as_the_default_and_quorum()
    {
        var types = _host.Engine.QueueTypes;

        Assert.Equal("classic", types.Default.Name);
        Assert.IsType<ClassicQueueType>(types.Default);
        Assert.True(types.TryGet("quorum", out var quorum));
        Assert.Equal("quorum", quorum.Name);
        Assert.True(types.TryGet("stream", out var stream));
        Assert.IsType<Broker.Engine.Queues.Stream.StreamQueueType>(stream);
        Assert.Equal(["classic", "quorum", "stream"], types.Types.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_registered_type_makes_the_queues_that_name_it()
    {
        var type = Register();

        var result = Declare("q", OfType("test"));

        Assert.False(result.IsError, result.Error.Text);
        Assert.True(result.Value.Created);
        Assert.Equal(1, type.Created);
        Assert.Same(type, result.Value.Queue.Type);
        Assert.Equal("test", result.Value.Queue.Type.Name);
        Assert.True(_host.VHost.TryGetQueue("q", out var found));
        Assert.Same(result.Value.Queue, found);
    }

    [Fact]
    public void The_type_sees_the_declaration_it_creates_from()
    {
        var type = Register();

        Assert.False(Declare("q", OfType("test", ("x-max-length", 3)), durable: true).IsError);

        var declaration = Assert.Single(type.Declarations);
        Assert.Equal("q", declaration.Name);
        Assert.True(declaration.Durable);
        Assert.Equal(3L, FieldValues.AsInteger(declaration.Arguments["x-max-length"]));
    }

    [Fact]
    public void Redeclaring_returns_the_existing_queue_without_creating_another()
    {
        var type = Register();
        var first = Declare("q", OfType("test")).Value.Queue;

        var again = Declare("q", OfType("test"));

        Assert.False(again.IsError, again.Error.Text);
        Assert.False(again.Value.Created);
        Assert.Same(first, again.Value.Queue);
        Assert.Equal(1, type.Created);
    }

    [Fact]
    public void Queues_without_x_queue_type_are_classic_whatever_else_is_registered()
    {
        var type = Register();

        var queue = _host.Queue("q");

        Assert.Equal("classic", queue.Type.Name);
        Assert.IsType<ClassicQueue>(queue);
        Assert.Equal(0, type.Created);
    }

    [Fact]
    public void A_durable_quorum_queue_reports_its_type()
    {
        var result = Declare("q", OfType("quorum"), durable: true);

        Assert.False(result.IsError, result.Error.Text);
        Assert.Equal("quorum", result.Value.Queue.Type.Name);
        Assert.Equal("rabbit_quorum_queue", result.Value.Queue.Type.ModuleName);
    }

    [Fact]
    public void The_types_own_refusal_is_returned_and_nothing_is_created()
    {
        var type = Register();
        type.Refusal = EngineError.PreconditionFailed("test queues must be durable");

        var result = Declare("q", OfType("test"));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, "test queues must be durable");
        Assert.Equal(0, type.Created);
        Assert.False(_host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void The_type_is_asked_with_the_queues_display_name()
    {
        var type = Register();

        Declare("q", OfType("test"));

        Assert.Equal(["queue 'q' in vhost '/'"], type.ValidatedNames);
    }

    [Fact]
    public void Argument_values_are_checked_before_the_type_is_asked()
    {
        var type = Register();
        type.Refusal = EngineError.PreconditionFailed("never asked");

        var result = Declare("q", OfType("test", ("x-max-length", -1)));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, "invalid arg 'x-max-length' for queue 'q' in vhost '/': {value_negative,-1}");
        Assert.Empty(type.ValidatedNames);
    }

    [Theory]
    [InlineData("x-max-priority", 5)]
    [InlineData("x-delivery-limit", 3)]
    [InlineData("x-expires", 1000)]
    public void Arguments_RabbitMQ_knows_that_the_type_does_not_support_are_refused(string key, int value)
    {
        var type = Register();

        var result = Declare("q", OfType("test", (key, value)));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, $"invalid arg '{key}' for queue 'q' in vhost '/' of queue type rabbit_test_queue");
        Assert.Equal(0, type.Created);
        Assert.False(_host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void Arguments_unknown_to_RabbitMQ_are_kept_and_ignored()
    {
        var type = Register();

        var result = Declare("q", OfType("test", ("x-custom", 1), ("plain", Host.Str("value"))));

        Assert.False(result.IsError, result.Error.Text);
        Assert.Equal(1, type.Created);
        Assert.True(result.Value.Queue.Arguments.ContainsKey("x-custom"));
    }

    [Fact]
    public void A_stream_declaration_is_checked_by_streams_rules()
    {
        Host.AssertError(Declare("q", OfType("stream")).Error, ErrorKind.PreconditionFailed, "invalid property 'non-durable' for queue 'q' in vhost '/'");
        Host.AssertError(
            Declare("q", OfType("stream", ("x-message-ttl", 1000)), durable: true).Error,
            ErrorKind.PreconditionFailed,
            "invalid arg 'x-message-ttl' for queue 'q' in vhost '/' of queue type rabbit_stream_queue");
    }

    [Fact]
    public void An_unregistered_type_is_refused_with_RabbitMQs_text()
    {
        var result = Declare("q", OfType("fancy"), durable: true);

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': \"unsupported queue type 'fancy'\"");
        Assert.False(_host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void An_x_queue_type_that_is_not_a_string_is_refused()
    {
        var result = Declare("q", Host.Args(("x-queue-type", 1)));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': {unacceptable_type,signedint}");
    }

    [Fact]
    public void Registering_a_type_under_a_name_makes_that_name_declarable()
    {
        Assert.True(Declare("before", OfType("fancy")).IsError);
        var stream = new TestQueueType("fancy");
        _host.Engine.QueueTypes.Add(stream);

        var result = Declare("after", OfType("fancy"));

        Assert.False(result.IsError, result.Error.Text);
        Assert.Equal("fancy", result.Value.Queue.Type.Name);
        Assert.Equal(1, stream.Created);
    }

    [Fact]
    public void Adding_a_type_with_a_taken_name_replaces_it()
    {
        var replacement = new TestQueueType("quorum");
        _host.Engine.QueueTypes.Add(replacement);

        var result = Declare("q", OfType("quorum"));

        Assert.False(result.IsError, result.Error.Text);
        Assert.Same(replacement, result.Value.Queue.Type);
        Assert.Equal(1, replacement.Created);
    }

    [Fact]
    public void A_server_named_queue_of_a_registered_non_classic_type_is_refused()
    {
        Register();

        var result = Declare("", OfType("test"));

        Host.AssertError(result.Error, ErrorKind.PreconditionFailed, "Cannot declare a server-named queue for type rabbit_test_queue");
    }

    [Fact]
    public void Queues_of_a_custom_type_work_like_the_classic_queues_they_are_made_of()
    {
        Register();
        var queue = Declare("q", OfType("test", ("x-max-length", 1))).Value.Queue;

        TestMessages.Enqueue(_host.Engine, queue, "m1", "m2");

        Assert.Equal(["m2"], TestMessages.TakeAll(queue).Select(e => TestMessages.Id(e.Message)));
    }

    /// <summary>
    /// A queue type for tests: classic queues under another name, supporting a few arguments, counting what
    /// it creates and refusing when told to. It builds <see cref="ClassicQueue"/> itself rather than calling
    /// <see cref="ClassicQueueType.Create"/>, which would give the queue the classic type.
    /// </summary>
    private sealed class TestQueueType(string name = "test") : QueueType
    {
        private static readonly string[] Arguments = ["x-queue-type", "x-max-length", "x-message-ttl"];

        public override string Name => name;

        public override IReadOnlyList<string> SupportedArguments => Arguments;

        public int Created => Declarations.Count;

        public List<QueueDeclaration> Declarations { get; } = [];

        public List<string> ValidatedNames { get; } = [];

        public EngineError Refusal { get; set; }

        public override EngineError Validate(in QueueDeclaration declaration, string displayName)
        {
            ValidatedNames.Add(displayName);
            return Refusal;
        }

        public override MessageQueue Create(VirtualHost virtualHost, in QueueDeclaration declaration)
        {
            Declarations.Add(declaration);
            return new ClassicQueue(virtualHost, this, declaration, virtualHost.Engine.Store.OpenLog(virtualHost.Name, declaration.Name, declaration.Durable));
        }
    }
}
