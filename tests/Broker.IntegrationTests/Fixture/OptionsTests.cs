using Broker.IntegrationTests.Helpers;
using Broker.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using static Broker.IntegrationTests.Fixture.FixtureConnections;

namespace Broker.IntegrationTests.Fixture;

/// <summary>The options users asked for: default vhost, size limits, definitions given inline, logs in the test output.</summary>
public sealed class OptionsTests
{
    [Fact]
    public async Task The_default_vhost_option_names_the_vhost_the_uri_opens()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { VirtualHost = "app" });

        Assert.Equal("/app", broker.AmqpUri.AbsolutePath);
        Assert.Equal(["app"], broker.Engine.VirtualHosts.Select(v => v.Name));
        await using var connection = await ConnectAsync(broker.AmqpUri);
        await using var channel = await connection.CreateChannelAsync();
        Assert.Equal("app", Assert.Single(await broker.GetConnectionsAsync()).VirtualHost);
    }

    [Fact]
    public async Task Frame_max_is_what_the_broker_proposes()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { FrameMax = 16384 });

        await using var connection = await new ConnectionFactory { Uri = broker.AmqpUri, RequestedFrameMax = 0 }.CreateConnectionAsync();

        Assert.Equal(16384u, connection.FrameMax);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_the_channel_with_406()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { MaxMessageSize = 1000 });
        await using var connection = await ConnectAsync(broker.AmqpUri);
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync("q", durable: false, exclusive: false, autoDelete: false);
        await channel.BasicPublishAsync("", "q", new byte[1000]);

        await channel.BasicPublishAsync("", "q", new byte[1001]);

        var closed = await channel.WaitForCloseAsync();
        Assert.Equal(406, closed.ReplyCode);
        Assert.Equal("PRECONDITION_FAILED - message size 1001 is larger than configured max size 1000", closed.ReplyText);
    }

    [Fact]
    public async Task Definitions_given_as_a_json_string_are_imported()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions
        {
            DefinitionsJson = """
                {
                  "users": [{ "name": "guest", "password": "guest", "tags": "administrator" }],
                  "vhosts": [{ "name": "/" }],
                  "permissions": [{ "user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" }],
                  "exchanges": [{ "name": "events", "vhost": "/", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {} }],
                  "queues": [{ "name": "audit", "vhost": "/", "durable": true, "auto_delete": false, "arguments": { "x-message-ttl": 60000 } }],
                  "bindings": [{ "source": "events", "vhost": "/", "destination": "audit", "destination_type": "queue", "routing_key": "#", "arguments": {} }]
                }
                """,
        });
        await using var connection = await ConnectAsync(broker.AmqpUri);
        await using var channel = await connection.CreateChannelAsync();

        await channel.PublishAsync("events", "anything.at.all", "audited");

        var got = await channel.GetRequiredAsync("audit", autoAck: true);
        Assert.Equal("audited", Amqp.Text(got.Body));
    }

    [Fact]
    public async Task Definitions_given_as_an_object_use_snake_case_names_and_keep_argument_keys()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions
        {
            Definitions = new DefinitionsModel(
                Users: [new UserModel("guest", "guest", "administrator")],
                Vhosts: [new VhostModel("/")],
                Permissions: [new PermissionModel("guest", "/", ".*", ".*", ".*")],
                Queues: [new QueueModel("capped", "/", Durable: true, AutoDelete: false, new Dictionary<string, object> { ["x-max-length"] = 1 })]),
        });
        await using var connection = await ConnectAsync(broker.AmqpUri);
        await using var channel = await connection.CreateChannelAsync();

        await channel.PublishAsync("", "capped", "first");
        await channel.PublishAsync("", "capped", "second");

        var got = await channel.GetRequiredAsync("capped", autoAck: true);
        Assert.Equal("second", Amqp.Text(got.Body));
        Assert.Equal(0u, got.MessageCount);
    }

    [Fact]
    public async Task Two_kinds_of_definitions_at_once_are_refused()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { DefinitionsJson = "{}", Definitions = new { } }));
        Assert.Contains("one of", ex.Message);
    }

    [Fact]
    public async Task Malformed_definitions_json_is_refused_with_the_parsers_reason()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { DefinitionsJson = "{ \"queues\": [ " }));
        Assert.StartsWith("definitions:", ex.Message);
    }

    [Fact]
    public async Task Log_output_receives_the_brokers_lines()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using (var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { LogOutput = lines.Enqueue }))
        {
            await using var connection = await ConnectAsync(broker.AmqpUri, "logged-client");
            await using var channel = await connection.CreateChannelAsync();
            await Assert.ThrowsAsync<OperationInterruptedException>(() => channel.QueueDeclarePassiveAsync("missing"));
        }

        Assert.Contains(lines, line => line.Contains("[INF]") && line.Contains("logged-client"));
        Assert.DoesNotContain(lines, line => line.Contains("[DBG]"));
    }

    [Fact]
    public async Task Log_output_that_throws_after_its_test_ended_does_not_break_the_broker()
    {
        await using var broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions
        {
            LogOutput = _ => throw new InvalidOperationException("There is no currently active test."),
        });

        await using var connection = await ConnectAsync(broker.AmqpUri);
        Assert.True(connection.IsOpen);
        Assert.Empty(broker.TakeErrors());
    }

    private sealed record DefinitionsModel(UserModel[] Users, VhostModel[] Vhosts, PermissionModel[] Permissions, QueueModel[] Queues);

    private sealed record UserModel(string Name, string Password, string Tags);

    private sealed record VhostModel(string Name);

    private sealed record PermissionModel(string User, string Vhost, string Configure, string Write, string Read);

    private sealed record QueueModel(string Name, string Vhost, bool Durable, bool AutoDelete, Dictionary<string, object> Arguments);
}
