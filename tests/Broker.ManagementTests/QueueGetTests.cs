using System.Text;
using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;
using RabbitMQ.Client;

namespace Broker.ManagementTests;

/// <summary>POST /api/queues/V/Q/get: every ackmode, both encodings, truncation and the message fields.</summary>
public sealed class QueueGetTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private Task<ApiResponse> GetAsync(string virtualHost, string queue, string body) => Admin.PostAsync(Path("queues", virtualHost, queue, "get"), body);

    private async Task<JsonArray> GetMessagesAsync(string virtualHost, string queue, int count, string ackMode, string encoding = "auto", int? truncate = null)
    {
        var body = new JsonObject { ["count"] = count, ["ackmode"] = ackMode, ["encoding"] = encoding };
        if (truncate is { } limit)
        {
            body["truncate"] = limit;
        }

        return (await Admin.PostAsync(Path("queues", virtualHost, queue, "get"), body)).AssertStatus(200).Json.AsArray();
    }

    private static List<string> Payloads(JsonArray messages) => [.. messages.Select(m => m!["payload"]!.GetValue<string>())];

    private static List<bool> Redelivered(JsonArray messages) => [.. messages.Select(m => m!["redelivered"]!.GetValue<bool>())];

    [Fact]
    public async Task Ack_requeue_true_leaves_the_messages_and_marks_them_redelivered()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        foreach (var body in new[] { "1", "2", "3" })
        {
            await PublishOverApiAsync(virtualHost, "q", body);
        }

        var first = await GetMessagesAsync(virtualHost, "q", 2, "ack_requeue_true");
        var second = await GetMessagesAsync(virtualHost, "q", 5, "ack_requeue_true");

        Assert.Equal(["1", "2"], Payloads(first));
        Assert.Equal([false, false], Redelivered(first));
        Assert.Equal([2, 1], first.Select(m => m!["message_count"]!.GetValue<int>()));
        Assert.Equal(["1", "2", "3"], Payloads(second));
        Assert.Equal([true, true, false], Redelivered(second));
    }

    [Fact]
    public async Task Reject_requeue_true_also_requeues()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");

        var first = await GetMessagesAsync(virtualHost, "q", 1, "reject_requeue_true");
        var second = await GetMessagesAsync(virtualHost, "q", 1, "reject_requeue_true");

        Assert.Equal([false], Redelivered(first));
        Assert.Equal(["1"], Payloads(second));
        Assert.Equal([true], Redelivered(second));
    }

    [Fact]
    public async Task Ack_requeue_false_removes_the_messages()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");
        await PublishOverApiAsync(virtualHost, "q", "2");

        var taken = await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false");
        var rest = await GetMessagesAsync(virtualHost, "q", 5, "ack_requeue_false");
        var none = await GetMessagesAsync(virtualHost, "q", 5, "ack_requeue_false");

        Assert.Equal(["1"], Payloads(taken));
        Assert.Equal(["2"], Payloads(rest));
        Assert.Equal([false], Redelivered(rest));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Reject_requeue_false_dead_letters_to_the_queues_dlx()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareExchangeAsync(virtualHost, "dlx", "fanout");
        await DeclareQueueAsync(virtualHost, "dead");
        (await Admin.PostAsync(Path("bindings", virtualHost, "e", "dlx", "q", "dead"), "{}")).AssertStatus(201);
        await DeclareQueueAsync(virtualHost, "q", """{"arguments":{"x-dead-letter-exchange":"dlx"}}""");
        await PublishOverApiAsync(virtualHost, "q", "doomed");

        var rejected = await GetMessagesAsync(virtualHost, "q", 1, "reject_requeue_false");
        var left = await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false");
        var deadLettered = await GetMessagesAsync(virtualHost, "dead", 1, "ack_requeue_false");

        Assert.Equal(["doomed"], Payloads(rejected));
        Assert.Empty(left);
        var message = Assert.Single(deadLettered)!;
        Assert.Equal("doomed", message["payload"]!.GetValue<string>());
        Assert.Equal("dlx", message["exchange"]!.GetValue<string>());
        Assert.Equal("q", message["routing_key"]!.GetValue<string>());
        var death = Assert.Single(message["properties"]!["headers"]!["x-death"]!.AsArray())!;
        Assert.Equal("rejected", death["reason"]!.GetValue<string>());
        Assert.Equal("q", death["queue"]!.GetValue<string>());
        Assert.Equal(1, death["count"]!.GetValue<int>());
        Assert.Equal("rejected", message["properties"]!["headers"]!["x-first-death-reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Message_fields_name_exchange_routing_key_size_and_properties()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        var connection = await ConnectAsync(virtualHost);
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            var properties = new BasicProperties
            {
                ContentType = "text/plain",
                DeliveryMode = DeliveryModes.Persistent,
                Priority = 3,
                CorrelationId = "corr",
                MessageId = "id-1",
                Headers = new Dictionary<string, object?> { ["h-int"] = 42, ["h-str"] = "v" },
            };
            await channel.BasicPublishAsync(string.Empty, "q", false, properties, Encoding.UTF8.GetBytes("héllo"));
        }

        var message = Assert.Single(await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false"))!;

        Assert.Equal("héllo", message["payload"]!.GetValue<string>());
        Assert.Equal("string", message["payload_encoding"]!.GetValue<string>());
        Assert.Equal(6, message["payload_bytes"]!.GetValue<int>());
        Assert.Equal(string.Empty, message["exchange"]!.GetValue<string>());
        Assert.Equal("q", message["routing_key"]!.GetValue<string>());
        Assert.Equal(0, message["message_count"]!.GetValue<int>());
        Assert.False(message["redelivered"]!.GetValue<bool>());
        // RabbitMQ.Client numbers publishes on a confirm-tracking channel in a header of its own.
        message["properties"]!["headers"]!.AsObject().Remove("x-dotnet-pub-seq-no");
        var expected = JsonNode.Parse("""
            {"content_type":"text/plain","delivery_mode":2,"priority":3,"correlation_id":"corr","message_id":"id-1","headers":{"h-int":42,"h-str":"v"}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, message["properties"]), message["properties"]!.ToJsonString());
    }

    [Fact]
    public async Task A_message_without_properties_shows_them_as_an_empty_list()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "bare");

        var message = Assert.Single(await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false"))!;

        // RabbitMQ's quirk: an empty property list is a JSON array, not an object.
        Assert.Equal("[]", message["properties"]!.ToJsonString());
    }

    [Fact]
    public async Task Auto_encoding_gives_utf8_as_a_string_and_anything_else_as_base64()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", Convert.ToBase64String([0, 1, 2, (byte)'a']), encoding: "base64");
        await PublishOverApiAsync(virtualHost, "q", Convert.ToBase64String([0xff, 0xfe, 0x00]), encoding: "base64");

        var messages = await GetMessagesAsync(virtualHost, "q", 2, "ack_requeue_false");

        Assert.Equal("\u0000\u0001\u0002a", messages[0]!["payload"]!.GetValue<string>());
        Assert.Equal("string", messages[0]!["payload_encoding"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String([0xff, 0xfe, 0x00]), messages[1]!["payload"]!.GetValue<string>());
        Assert.Equal("base64", messages[1]!["payload_encoding"]!.GetValue<string>());
    }

    [Fact]
    public async Task Base64_encoding_always_gives_base64()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "plain text");

        var message = Assert.Single(await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false", encoding: "base64"))!;

        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("plain text")), message["payload"]!.GetValue<string>());
        Assert.Equal("base64", message["payload_encoding"]!.GetValue<string>());
    }

    [Fact]
    public async Task Truncate_cuts_the_payload_but_payload_bytes_is_the_whole_size()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "0123456789");

        var message = Assert.Single(await GetMessagesAsync(virtualHost, "q", 1, "ack_requeue_false", truncate: 4))!;

        Assert.Equal("0123", message["payload"]!.GetValue<string>());
        Assert.Equal(10, message["payload_bytes"]!.GetValue<int>());
    }

    [Fact]
    public async Task Count_given_as_a_string_is_taken()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");
        await PublishOverApiAsync(virtualHost, "q", "1");
        await PublishOverApiAsync(virtualHost, "q", "2");

        var messages = (await GetAsync(virtualHost, "q", """{"count":"2","ackmode":"ack_requeue_false","encoding":"auto"}""")).AssertStatus(200).Json.AsArray();

        Assert.Equal(["1", "2"], Payloads(messages));
    }

    [Fact]
    public async Task Missing_keys_and_an_unknown_encoding_are_400()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q");

        (await GetAsync(virtualHost, "q", """{"count":1}""")).AssertError(400, "bad_request", "[{key_missing,ackmode},{key_missing,encoding}]");
        (await GetAsync(virtualHost, "q", """{"count":1,"ackmode":"ack_requeue_false","encoding":"utf-16"}"""))
            .AssertError(400, "bad_request", "Unsupported encoding. Please use auto or base64.");
    }

    [Fact]
    public async Task Get_from_an_unknown_queue_is_404_not_found()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await GetAsync(virtualHost, "nope", """{"count":1,"ackmode":"ack_requeue_false","encoding":"auto"}"""))
            .AssertError(404, "not_found", $"NOT_FOUND - no queue 'nope' in vhost '{virtualHost}'");
    }
}
