using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Exchanges;
using Broker.Engine.Sessions;
using Broker.Engine.Tests.Support;
using Broker.Engine.VirtualHosts;

namespace Broker.Engine.Tests.VirtualHosts;

public class QueueDeclareDeleteTests
{
    private static Result<QueueDeclareResult> Declare(Host host, string name, bool passive = false, bool durable = false, bool exclusive = false, bool autoDelete = false, FieldTable? arguments = null, IClientConnection? connection = null) =>
        host.VHost.DeclareQueue(name, passive, durable, exclusive, autoDelete, arguments ?? new FieldTable(), connection ?? host.Connection);

    private static string Locked(string name) =>
        $"cannot obtain exclusive access to locked queue '{name}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.";

    [Fact]
    public void Declaring_creates_a_queue_and_redeclaring_returns_it_with_counts()
    {
        var host = new Host();

        var created = Declare(host, "q", durable: true, arguments: Host.Args(("x-max-length", 10)));
        Assert.True(created.Value.Created);
        var queue = created.Value.Queue;
        Assert.Equal(("q", true, false, false), (queue.Name, queue.Durable, queue.Exclusive, queue.AutoDelete));
        Assert.Equal("queue 'q' in vhost '/'", queue.DisplayName);

        TestMessages.Enqueue(host.Engine, queue, "m1", "m2");
        queue.AddConsumer(FakeSession.NewConsumer(queue, new FakeSession(), "c", priority: 0));

        var again = Declare(host, "q", durable: true, arguments: Host.Args(("x-max-length", 10)));
        Assert.False(again.Value.Created);
        Assert.Same(queue, again.Value.Queue);
        Assert.Equal(2u, again.Value.MessageCount);
        Assert.Equal(1u, again.Value.ConsumerCount);

        var passive = Declare(host, "q", passive: true);
        Assert.Same(queue, passive.Value.Queue);
        Assert.False(passive.Value.Created);
    }

    [Fact]
    public void Redeclare_reports_ready_messages()
    {
        var host = new Host();
        var queue = host.Queue("q");
        TestMessages.Enqueue(host.Engine, queue, "m1", "m2", "m3");

        var again = Declare(host, "q");

        Assert.Equal(3u, again.Value.MessageCount);
        Assert.Equal(0u, again.Value.ConsumerCount);
    }

    [Fact]
    public void Server_named_queues_start_with_amq_gen_and_are_unique()
    {
        var host = new Host();

        var names = Enumerable.Range(0, 50).Select(_ => Declare(host, "").Value.Queue.Name).ToList();

        Assert.All(names, name =>
        {
            Assert.StartsWith("amq.gen-", name, StringComparison.Ordinal);
            Assert.Equal("amq.gen-".Length + 22, name.Length);
            Assert.Matches("^amq\\.gen-[A-Za-z0-9_-]{22}$", name);
        });
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, name => Assert.True(host.VHost.TryGetQueue(name, out _)));
    }

    [Theory]
    [InlineData("amq.q")]
    [InlineData("amq.gen-abc")]
    public void Client_names_starting_with_amq_are_reserved(string name)
    {
        var host = new Host();

        Host.AssertError(Declare(host, name).Error, ErrorKind.AccessRefused, $"queue name '{name}' contains reserved prefix 'amq.*'");
        Assert.False(host.VHost.TryGetQueue(name, out _));
    }

    [Fact]
    public void A_passive_declare_of_a_server_named_queue_finds_it()
    {
        var host = new Host();
        var name = Declare(host, "").Value.Queue.Name;

        Assert.Equal(name, Declare(host, name, passive: true).Value.Queue.Name);
    }

    [Fact]
    public void Passive_declare_of_a_missing_queue_is_not_found()
    {
        Host.AssertError(Declare(new Host(), "nope", passive: true).Error, ErrorKind.NotFound, "no queue 'nope' in vhost '/'");
    }

    [Fact]
    public void Redeclaring_with_different_durable_or_auto_delete_is_a_precondition_failure()
    {
        var host = new Host();
        Declare(host, "q");

        Host.AssertError(Declare(host, "q", durable: true).Error, ErrorKind.PreconditionFailed, "inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'");
        Host.AssertError(Declare(host, "q", autoDelete: true).Error, ErrorKind.PreconditionFailed, "inequivalent arg 'auto_delete' for queue 'q' in vhost '/': received 'true' but current is 'false'");
    }

    [Fact]
    public void Redeclaring_with_different_known_arguments_is_a_precondition_failure()
    {
        var host = new Host();
        Declare(host, "q", arguments: Host.Args(("x-max-length", 10), ("x-custom", 1)));

        Host.AssertError(
            Declare(host, "q", arguments: Host.Args(("x-max-length", 20))).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received '20' but current is '10'");
        Host.AssertError(
            Declare(host, "q").Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received none but current is the value '10' of type 'signedint'");
        Host.AssertError(
            Declare(host, "q", arguments: Host.Args(("x-max-length", 10), ("x-message-ttl", 1000L))).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received the value '1000' of type 'long' but current is none");

        // Unknown arguments are not compared; integer types are one class.
        Assert.False(Declare(host, "q", arguments: Host.Args(("x-max-length", 10L), ("x-custom", 2))).IsError);
        Assert.False(Declare(host, "q", arguments: Host.Args(("x-max-length", (byte)10))).IsError);
    }

    [Fact]
    public void A_missing_x_queue_type_is_equivalent_to_classic()
    {
        var host = new Host();
        Declare(host, "plain");
        Declare(host, "classic", arguments: Host.Args(("x-queue-type", Host.Str("classic"))));

        Assert.False(Declare(host, "plain", arguments: Host.Args(("x-queue-type", Host.Str("classic")))).IsError);
        Assert.False(Declare(host, "classic").IsError);
        Host.AssertError(
            Declare(host, "plain", arguments: Host.Args(("x-queue-type", Host.Str("quorum")))).Error,
            ErrorKind.PreconditionFailed,
            "inequivalent arg 'x-queue-type' for queue 'plain' in vhost '/': received the value 'quorum' of type 'longstr' but current is none");
    }

    [Fact]
    public void Invalid_arguments_are_refused_on_create_with_RabbitMQs_text()
    {
        var host = new Host();

        Host.AssertError(
            Declare(host, "q", arguments: Host.Args(("x-expires", 0))).Error,
            ErrorKind.PreconditionFailed,
            "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}");
        Assert.False(host.VHost.TryGetQueue("q", out _));
    }

    [Fact]
    public void Exclusive_queues_belong_to_their_connection()
    {
        var host = new Host();
        var owner = new TestConnection();
        var other = new TestConnection();
        var queue = Declare(host, "ex", exclusive: true, durable: true, connection: owner).Value.Queue;

        Assert.True(queue.Exclusive);
        Assert.False(queue.Durable);
        Assert.Same(owner, queue.ExclusiveOwner);
        Assert.True(queue.IsAccessibleBy(owner));
        Assert.False(queue.IsAccessibleBy(other));

        Assert.False(Declare(host, "ex", exclusive: true, connection: owner).IsError);
        Assert.False(Declare(host, "ex", passive: true, connection: owner).IsError);
        Host.AssertError(Declare(host, "ex", exclusive: true, connection: other).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(Declare(host, "ex", connection: other).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(Declare(host, "ex", connection: owner).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(Declare(host, "ex", passive: true, connection: other).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(host.VHost.PurgeQueue("ex", other).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(host.VHost.DeleteQueue("ex", false, false, other).Error, ErrorKind.ResourceLocked, Locked("ex"));
        Host.AssertError(host.VHost.BindQueue("ex", "amq.direct", "k", new(), other), ErrorKind.ResourceLocked, Locked("ex"));
        Assert.False(host.VHost.BindQueue("ex", "amq.direct", "k", new(), owner).IsError);
    }

    [Fact]
    public void A_shared_queue_cannot_be_redeclared_exclusive()
    {
        var host = new Host();
        Declare(host, "shared");

        Host.AssertError(Declare(host, "shared", exclusive: true).Error, ErrorKind.ResourceLocked, Locked("shared"));
    }

    [Fact]
    public void Closing_a_connection_deletes_its_exclusive_queues_only()
    {
        var host = new Host();
        var owner = new TestConnection();
        Declare(host, "mine", exclusive: true, connection: owner);
        Declare(host, "theirs", exclusive: true, connection: new TestConnection());
        Declare(host, "shared", connection: owner);

        host.VHost.DeleteExclusiveQueues(owner);

        Assert.False(host.VHost.TryGetQueue("mine", out _));
        Assert.True(host.VHost.TryGetQueue("theirs", out _));
        Assert.True(host.VHost.TryGetQueue("shared", out _));
    }

    [Fact]
    public void Deleting_returns_the_ready_count_and_a_missing_queue_is_no_error()
    {
        var host = new Host();
        var queue = host.Queue("q");
        TestMessages.Enqueue(host.Engine, queue, "a", "b");
        TestMessages.Enqueue(host.Engine, queue, "c");
        queue.TryGet(noAck: false, out _, out _);

        var deleted = host.VHost.DeleteQueue("q", false, false, host.Connection);

        Assert.Equal(2, deleted.Value);
        Assert.True(queue.IsDeleted);
        Assert.False(host.VHost.TryGetQueue("q", out _));
        Assert.Equal(0, host.VHost.DeleteQueue("q", true, true, host.Connection).Value);
        Assert.False(host.VHost.DeleteQueue("q", true, true, host.Connection).IsError);
    }

    [Fact]
    public void If_unused_refuses_a_queue_with_consumers_and_if_empty_one_with_ready_messages()
    {
        var host = new Host();
        var queue = host.Queue("q");
        var consumer = FakeSession.NewConsumer(queue, new FakeSession(), "c");
        Assert.False(queue.AddConsumer(consumer).IsError);

        Host.AssertError(host.VHost.DeleteQueue("q", ifUnused: true, ifEmpty: false, host.Connection).Error, ErrorKind.PreconditionFailed, "queue 'q' in vhost '/' in use");
        Assert.False(queue.RemoveConsumer(consumer));

        TestMessages.Enqueue(host.Engine, queue, "m");
        Host.AssertError(host.VHost.DeleteQueue("q", ifUnused: false, ifEmpty: true, host.Connection).Error, ErrorKind.PreconditionFailed, "queue 'q' in vhost '/' not empty");
        Assert.False(queue.IsDeleted);

        Assert.False(host.VHost.DeleteQueue("q", ifUnused: true, ifEmpty: false, host.Connection).IsError);
        Assert.True(queue.IsDeleted);
    }

    [Fact]
    public void If_empty_ignores_unacknowledged_messages()
    {
        var host = new Host();
        var queue = host.Queue("q");
        TestMessages.Enqueue(host.Engine, queue, "m");
        Assert.True(queue.TryGet(noAck: false, out _, out _));

        Assert.False(host.VHost.DeleteQueue("q", ifUnused: false, ifEmpty: true, host.Connection).IsError);
    }

    [Fact]
    public void Deleting_a_queue_removes_its_bindings()
    {
        var host = new Host();
        var direct = host.Exchange("d");
        var topic = host.Exchange("t", ExchangeTypes.Topic);
        host.Queue("q");
        host.Queue("other");
        host.Bind("q", "d", "k");
        host.Bind("q", "t", "#");
        host.Bind("other", "d", "k");

        Assert.False(host.VHost.DeleteQueue("q", false, false, host.Connection).IsError);

        Assert.Equal(1, direct.BindingCount);
        Assert.Equal(0, topic.BindingCount);
        Assert.Equal(["other"], host.Route("d", "k"));
        Assert.Empty(host.Route("t", "x"));

        // A new queue with the same name starts without the old bindings.
        host.Queue("q");
        Assert.Empty(host.Route("t", "x"));
        Assert.Equal(["other"], host.Route("d", "k"));
    }

    [Fact]
    public void Purge_drops_ready_messages_and_returns_their_count()
    {
        var host = new Host();
        var queue = host.Queue("q");
        TestMessages.Enqueue(host.Engine, queue, "a", "b", "c");

        Assert.Equal(3, host.VHost.PurgeQueue("q", host.Connection).Value);
        Assert.Equal(0, queue.MessageCount);
        Assert.Equal(0, host.VHost.PurgeQueue("q", host.Connection).Value);
        Host.AssertError(host.VHost.PurgeQueue("nope", host.Connection).Error, ErrorKind.NotFound, "no queue 'nope' in vhost '/'");
    }
}
