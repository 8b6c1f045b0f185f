using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>/api/queues: declare, equivalence and argument errors, the fields and counts a queue shows, purge and delete.</summary>
public sealed class QueueTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Fact]
    public async Task Put_declares_201_then_204_and_get_shows_its_fields()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var body = """{"durable":true,"auto_delete":false,"arguments":{"x-max-length":10,"x-dead-letter-exchange":"dlx"}}""";

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), body)).AssertStatus(201);
        (await Admin.PutAsync(Path("queues", virtualHost, "q"), body)).AssertStatus(204);
        var json = await EventuallyAsync(Path("queues", virtualHost, "q"), q => q["state"] is not null, "the queue's statistics are in");
        var node = (await Admin.GetJsonAsync("api/overview"))["node"]!.GetValue<string>();

        Assert.Equal("q", json["name"]!.GetValue<string>());
        Assert.Equal(virtualHost, json["vhost"]!.GetValue<string>());
        Assert.Equal(node, json["node"]!.GetValue<string>());
        Assert.True(json["durable"]!.GetValue<bool>());
        Assert.False(json["auto_delete"]!.GetValue<bool>());
        Assert.False(json["exclusive"]!.GetValue<bool>());
        Assert.Equal("classic", json["type"]!.GetValue<string>());
        Assert.Equal("running", json["state"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"x-max-length":10,"x-dead-letter-exchange":"dlx"}"""), json["arguments"]), json["arguments"]!.ToJsonString());
        Assert.Equal(0, json["messages"]!.GetValue<long>());
        Assert.Equal(0, json["consumers"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.Array, json["consumer_details"]!.GetValueKind());
        Assert.True(json.AsObject().TryGetPropertyValue("policy", out var policy) && policy is null, "policy is null");
    }

    [Fact]
    public async Task Put_with_an_empty_body_declares_a_transient_classic_queue()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), "{}")).AssertStatus(201);
        var json = await Admin.GetJsonAsync(Path("queues", virtualHost, "q"));

        Assert.False(json["durable"]!.GetValue<bool>());
        Assert.False(json["auto_delete"]!.GetValue<bool>());
        Assert.Empty(json["arguments"]!.AsObject());
    }

    [Fact]
    public async Task Put_with_x_queue_type_quorum_declares_a_quorum_queue()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "qq"), """{"durable":true,"arguments":{"x-queue-type":"quorum"}}""")).AssertStatus(201);
        var json = await Admin.GetJsonAsync(Path("queues", virtualHost, "qq"));

        Assert.Equal("quorum", json["type"]!.GetValue<string>());
        Assert.True(json["durable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Redeclaring_with_another_durable_flag_is_400_inequivalent()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q", """{"durable":true}""");

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), """{"durable":false}"""))
            .AssertError(400, "bad_request", $"inequivalent arg 'durable' for queue 'q' in vhost '{virtualHost}': received 'false' but current is 'true'");
    }

    [Fact]
    public async Task Redeclaring_with_a_new_argument_is_400_inequivalent()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q", """{"durable":true}""");

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), """{"durable":true,"arguments":{"x-max-length":10}}"""))
            .AssertError(400, "bad_request", $"inequivalent arg 'x-max-length' for queue 'q' in vhost '{virtualHost}': received the value '10' of type 'long' but current is none");
    }

    [Theory]
    [InlineData("""{"x-max-length":"abc"}""", "invalid arg 'x-max-length' for queue 'q' in vhost '{0}': \"expected integer, got longstr\"")]
    [InlineData("""{"x-message-ttl":-1}""", "invalid arg 'x-message-ttl' for queue 'q' in vhost '{0}': {{value_negative,-1}}")]
    [InlineData("""{"x-queue-type":"nope"}""", "invalid arg 'x-queue-type' for queue 'q' in vhost '{0}': \"unsupported queue type 'nope'\"")]
    public async Task Invalid_arguments_are_400_with_RabbitMQs_reason(string arguments, string reason)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), $$"""{"arguments":{{arguments}}}"""))
            .AssertError(400, "bad_request", string.Format(System.Globalization.CultureInfo.InvariantCulture, reason, virtualHost));
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertStatus(404);
    }

    [Fact]
    public async Task Names_starting_with_amq_are_refused()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "amq.mine"))).AssertError(401, "not_authorised", "Access refused.");
    }

    [Fact]
    public async Task Names_longer_than_255_bytes_are_400()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, new string('q', 256))))
            .AssertError(400, "bad_request", "queue should be less than 255 bytes, actually was 256\n");
    }

    [Fact]
    public async Task Counts_consumers_and_publish_stats_follow_amqp_traffic()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var connection = await ConnectAsync(virtualHost);
        await PublishAsync(connection, "q", "1", "2", "3");
        var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 1, false);
        await channel.BasicConsumeAsync("q", autoAck: false, new AsyncDefaultBasicConsumer(channel));

        var json = await EventuallyAsync(
            Path("queues", virtualHost, "q"),
            q => q["messages_unacknowledged"]?.GetValue<long>() == 1 && q["consumers"]?.GetValue<long>() == 1 && q["message_stats"]?["publish"]?.GetValue<long>() == 3,
            "one unacknowledged delivery to one consumer, three publishes");

        Assert.Equal(3, json["messages"]!.GetValue<long>());
        Assert.Equal(2, json["messages_ready"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.Number, json["messages_details"]!["rate"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Number, json["message_stats"]!["publish_details"]!["rate"]!.GetValueKind());
        Assert.Equal(1, json["message_stats"]!["deliver"]!.GetValue<long>());
        var consumer = Assert.Single(json["consumer_details"]!.AsArray())!;
        Assert.Equal("q", consumer["queue"]!["name"]!.GetValue<string>());
        Assert.True(consumer["ack_required"]!.GetValue<bool>());
        Assert.Equal(1, consumer["prefetch_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_contents_purges_the_queue()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");
        await PublishOverApiAsync(virtualHost, "q", "2");
        await EventuallyAsync(Path("queues", virtualHost, "q"), q => q["messages"]?.GetValue<long>() == 2, "two messages");

        (await Admin.DeleteAsync(Path("queues", virtualHost, "q", "contents"))).AssertStatus(204);

        await EventuallyAsync(Path("queues", virtualHost, "q"), q => q["messages"]?.GetValue<long>() == 0, "the queue is empty");
        var got = (await Admin.PostAsync(Path("queues", virtualHost, "q", "get"), """{"count":5,"ackmode":"ack_requeue_false","encoding":"auto"}""")).AssertStatus(200).Json;
        Assert.Empty(got.AsArray());
        (await Admin.DeleteAsync(Path("queues", virtualHost, "nope", "contents"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Delete_if_empty_refuses_a_queue_with_messages()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");

        (await Admin.DeleteAsync(Path("queues", virtualHost, "q") + "?if-empty=true"))
            .AssertError(400, "bad_request", $"queue 'q' in vhost '{virtualHost}' not empty");
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertStatus(200);
    }

    [Fact]
    public async Task Delete_if_unused_refuses_a_queue_with_consumers()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var connection = await ConnectAsync(virtualHost);
        var channel = await connection.CreateChannelAsync();
        await channel.BasicConsumeAsync("q", autoAck: true, new AsyncDefaultBasicConsumer(channel));

        (await Admin.DeleteAsync(Path("queues", virtualHost, "q") + "?if-unused=true"))
            .AssertError(400, "bad_request", $"queue 'q' in vhost '{virtualHost}' in use");
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertStatus(200);
    }

    [Fact]
    public async Task Delete_if_empty_and_if_unused_delete_an_empty_unused_queue()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");

        (await Admin.DeleteAsync(Path("queues", virtualHost, "q") + "?if-empty=true&if-unused=true")).AssertStatus(204);
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Delete_is_204_then_404()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");

        (await Admin.DeleteAsync(Path("queues", virtualHost, "q"))).AssertStatus(204);
        (await Admin.DeleteAsync(Path("queues", virtualHost, "q"))).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task Listings_show_the_queues_of_a_vhost_sorted_by_name()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "b");
        await DeclareQueueAsync(virtualHost, "a");
        await DeclareQueueAsync(virtualHost, "c");

        var names = (await Admin.GetJsonAsync(Path("queues", virtualHost))).AsArray().Select(q => q!["name"]!.GetValue<string>());
        var all = (await Admin.GetJsonAsync("api/queues")).AsArray();

        Assert.Equal(["a", "b", "c"], names);
        Assert.Equal(3, all.Count(q => q!["vhost"]!.GetValue<string>() == virtualHost));
    }

    [Fact]
    public async Task Exclusive_queue_of_a_connection_is_listed_as_exclusive()
    {
        var virtualHost = await CreateVirtualHostAsync();
        var connection = await ConnectAsync(virtualHost);
        var channel = await connection.CreateChannelAsync();
        var declared = await channel.QueueDeclareAsync("excl", durable: false, exclusive: true, autoDelete: true);

        var json = await Admin.GetJsonAsync(Path("queues", virtualHost, declared.QueueName));

        Assert.True(json["exclusive"]!.GetValue<bool>());
        Assert.True(json["auto_delete"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Flags_are_taken_as_booleans_or_as_the_strings_true_and_false()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), """{"durable":"true","auto_delete":"false"}""")).AssertStatus(201);
        (await Admin.PutAsync(Path("queues", virtualHost, "other"), """{"durable":"yes"}""")).AssertError(400, "bad_request", new JsonArray("not_boolean", "yes"));
        (await Admin.PutAsync(Path("queues", virtualHost, "other"), """{"durable":1}""")).AssertError(400, "bad_request", new JsonArray("not_boolean", 1));

        Assert.True((await Admin.GetJsonAsync(Path("queues", virtualHost, "q")))["durable"]!.GetValue<bool>());
        (await Admin.GetAsync(Path("queues", virtualHost, "other"))).AssertStatus(404);
    }
}
