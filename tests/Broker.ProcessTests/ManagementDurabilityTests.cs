using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Broker.ProcessTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// What the management API changes is as durable as AMQP declarations: a vhost, a user with its
/// password and tags, permissions, a durable exchange, queue and binding, a persistent message
/// published over HTTP and a policy survive kill -9; the policy acts on a live queue at once; a policy
/// cleared and a user deleted over HTTP stay gone after a restart.
/// </summary>
public sealed class ManagementDurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Changes_made_over_http_survive_kill_9_and_a_restart()
    {
        using var context = new ProcessTestContext(output, "management-durability");
        await context.RunAsync(async () =>
        {
            var port = FreePort();
            var broker = await context.StartBrokerAsync(null, "--management-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http = Client(port);
            await Expect(http, HttpMethod.Put, "api/vhosts/orders", "{}", HttpStatusCode.Created);
            await Expect(http, HttpMethod.Put, "api/users/alice", """{"password":"s3cret","tags":"monitoring"}""", HttpStatusCode.Created);
            await Expect(http, HttpMethod.Put, "api/permissions/orders/alice", """{"configure":".*","write":".*","read":".*"}""", HttpStatusCode.Created);
            // The vhost's creator (guest) already has every permission there, as in RabbitMQ: this is an update.
            await Expect(http, HttpMethod.Put, "api/permissions/orders/guest", """{"configure":".*","write":".*","read":".*"}""", HttpStatusCode.NoContent);
            await Expect(http, HttpMethod.Put, "api/exchanges/orders/events", """{"type":"topic","durable":true}""", HttpStatusCode.Created);
            await Expect(http, HttpMethod.Put, "api/queues/orders/order-log", """{"durable":true,"arguments":{"x-max-length":1000}}""", HttpStatusCode.Created);
            await Expect(http, HttpMethod.Post, "api/bindings/orders/e/events/q/order-log", """{"routing_key":"order.*"}""", HttpStatusCode.Created);
            var published = await Expect(http, HttpMethod.Post, "api/exchanges/orders/events/publish",
                """{"routing_key":"order.created","properties":{"delivery_mode":2},"payload":"kept","payload_encoding":"string"}""", HttpStatusCode.OK);
            context.Check(JsonNode.Parse(published)?["routed"]?.GetValue<bool>() == true, $"publish over HTTP answered {published}");

            // The publish has no confirm over HTTP: give the writer a moment to sync before the crash.
            await Task.Delay(500);
            broker.Kill();

            port = FreePort();
            var afterCrash = await context.StartBrokerAsync(null, "--management-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http2 = Client(port);
            var queue = JsonNode.Parse(await Expect(http2, HttpMethod.Get, "api/queues/orders/order-log", null, HttpStatusCode.OK))!;
            context.Check(queue["durable"]!.GetValue<bool>() && queue["arguments"]!["x-max-length"]!.GetValue<long>() == 1000, $"queue after kill -9: {queue.ToJsonString()}");
            var bindings = await Expect(http2, HttpMethod.Get, "api/bindings/orders/e/events/q/order-log", null, HttpStatusCode.OK);
            context.Check(bindings.Contains("\"routing_key\":\"order.*\"", StringComparison.Ordinal), $"binding after kill -9: {bindings}");
            var user = JsonNode.Parse(await Expect(http2, HttpMethod.Get, "api/users/alice", null, HttpStatusCode.OK))!;
            context.Check(user["tags"]!.AsArray().Count == 1 && user["tags"]![0]!.GetValue<string>() == "monitoring", $"user after kill -9: {user.ToJsonString()}");

            // alice logs in over AMQP with the password set over HTTP and reads the message published over HTTP.
            var factory = new ConnectionFactory { Uri = new Uri($"amqp://alice:s3cret@127.0.0.1:{afterCrash.Port}/orders") };
            await using (var connection = await factory.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                var message = await channel.BasicGetAsync("order-log", autoAck: true);
                context.Check(message is not null && Encoding.UTF8.GetString(message.Body.Span) == "kept", "the persistent message published over HTTP did not survive kill -9");
            }

            // A policy set over HTTP acts on the live queue at once: a length cap dead-letters the oldest.
            await Expect(http2, HttpMethod.Put, "api/queues/orders/order-dead", """{"durable":true}""", HttpStatusCode.Created);
            for (var i = 0; i < 5; i++)
            {
                await Publish(http2, $"m{i}");
            }

            await Expect(http2, HttpMethod.Put, "api/policies/orders/cap",
                """{"pattern":"^order-log$","apply-to":"queues","definition":{"max-length":2,"dead-letter-exchange":"","dead-letter-routing-key":"order-dead"}}""", HttpStatusCode.Created);
            await ExpectDepth(context, http2, "order-log", 2);
            await ExpectDepth(context, http2, "order-dead", 3);
            var withPolicy = JsonNode.Parse(await Expect(http2, HttpMethod.Get, "api/queues/orders/order-log", null, HttpStatusCode.OK))!;
            context.Check(withPolicy["policy"]?.GetValue<string>() == "cap", $"queue with the policy: {withPolicy.ToJsonString()}");
            await Task.Delay(500);
            afterCrash.Kill();

            port = FreePort();
            var afterSecondCrash = await context.StartBrokerAsync(null, "--management-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http3 = Client(port);
            await Expect(http3, HttpMethod.Get, "api/policies/orders/cap", null, HttpStatusCode.OK);
            await Publish(http3, "m5");
            await ExpectDepth(context, http3, "order-log", 2);
            await ExpectDepth(context, http3, "order-dead", 4);

            // Cleared, the cap is gone: the queue grows again.
            await Expect(http3, HttpMethod.Delete, "api/policies/orders/cap", null, HttpStatusCode.NoContent);
            await Publish(http3, "m6");
            await Publish(http3, "m7");
            await ExpectDepth(context, http3, "order-log", 4);
            await Expect(http3, HttpMethod.Delete, "api/users/alice", null, HttpStatusCode.NoContent);
            await Task.Delay(500);
            await afterSecondCrash.StopGracefullyAsync();

            port = FreePort();
            await context.StartBrokerAsync(null, "--management-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http4 = Client(port);
            await Expect(http4, HttpMethod.Get, "api/users/alice", null, HttpStatusCode.NotFound);
            await Expect(http4, HttpMethod.Get, "api/policies/orders/cap", null, HttpStatusCode.NotFound);
            await Expect(http4, HttpMethod.Get, "api/vhosts/orders", null, HttpStatusCode.OK);
            await ExpectDepth(context, http4, "order-log", 4);
        });
    }

    private static Task Publish(HttpClient http, string payload) =>
        Expect(http, HttpMethod.Post, "api/exchanges/orders/events/publish",
            $$"""{"routing_key":"order.created","properties":{"delivery_mode":2},"payload":"{{payload}}","payload_encoding":"string"}""", HttpStatusCode.OK);

    /// <summary>Waits briefly for a queue's depth (dead-lettering finishes just after the change that caused it).</summary>
    private static async Task ExpectDepth(ProcessTestContext context, HttpClient http, string queue, long expected)
    {
        long messages = -1;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var json = JsonNode.Parse(await Expect(http, HttpMethod.Get, $"api/queues/orders/{queue}", null, HttpStatusCode.OK))!;
            messages = json["messages"]!.GetValue<long>();
            if (messages == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        context.Check(false, $"queue {queue} holds {messages} messages, expected {expected}");
    }

    /// <summary>A client for the management port, once it listens (it starts just after the AMQP listener).</summary>
    private static HttpClient Client(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }

        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("guest:guest")));
        return client;
    }

    private static async Task<string> Expect(HttpClient http, HttpMethod method, string path, string? body, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode} {text}");
        return text;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
