using System.Net;
using System.Text.Json;

namespace Broker.Cli.Tests;

/// <summary>Each command sends RabbitMQ's request: method, path (names escaped as one segment each,
/// "/" as %2F), query and JSON body.</summary>
public sealed class RequestTests
{
    [Theory]
    [InlineData(new[] { "purge", "queue", "orders" }, "DELETE", "/api/queues/%2F/orders/contents")]
    [InlineData(new[] { "purge", "queue", "a b/c?d#e%f", "--vhost", "my/vhost" }, "DELETE", "/api/queues/my%2Fvhost/a%20b%2Fc%3Fd%23e%25f/contents")]
    [InlineData(new[] { "delete", "queue", "..", "--vhost", "." }, "DELETE", "/api/queues/%2E/%2E%2E")]
    [InlineData(new[] { "delete", "queue", "q", "--if-unused", "--if-empty" }, "DELETE", "/api/queues/%2F/q?if-unused=true&if-empty=true")]
    [InlineData(new[] { "delete", "queue", "q", "--if-unused=false" }, "DELETE", "/api/queues/%2F/q")]
    [InlineData(new[] { "delete", "exchange", "x", "--vhost", "v", "--if-unused" }, "DELETE", "/api/exchanges/v/x?if-unused=true")]
    [InlineData(new[] { "delete", "vhost", "/" }, "DELETE", "/api/vhosts/%2F")]
    [InlineData(new[] { "delete", "user", "bob@example" }, "DELETE", "/api/users/bob%40example")]
    [InlineData(new[] { "delete", "policy", "ttl" }, "DELETE", "/api/policies/%2F/ttl")]
    [InlineData(new[] { "delete", "permissions", "bob", "--vhost", "v" }, "DELETE", "/api/permissions/v/bob")]
    [InlineData(new[] { "close", "connection", "127.0.0.1:5000 -> 127.0.0.1:5672" }, "DELETE", "/api/connections/127.0.0.1%3A5000%20-%3E%20127.0.0.1%3A5672")]
    [InlineData(new[] { "export", "definitions" }, "GET", "/api/definitions")]
    [InlineData(new[] { "export", "definitions", "--vhost", "/" }, "GET", "/api/definitions/%2F")]
    [InlineData(new[] { "status" }, "GET", "/api/overview")]
    [InlineData(new[] { "check", "alarms" }, "GET", "/api/health/checks/alarms")]
    [InlineData(new[] { "check", "local-alarms" }, "GET", "/api/health/checks/local-alarms")]
    [InlineData(new[] { "check", "virtual-hosts" }, "GET", "/api/health/checks/virtual-hosts")]
    [InlineData(new[] { "check", "port-listener", "5672" }, "GET", "/api/health/checks/port-listener/5672")]
    [InlineData(new[] { "check", "aliveness", "/" }, "GET", "/api/aliveness-test/%2F")]
    [InlineData(new[] { "set", "tracing", "on", "--vhost", "v" }, "PUT", "/api/vhosts/v")]
    public async Task Each_command_sends_its_method_and_path(string[] args, string method, string pathAndQuery)
    {
        var api = new FakeApi(_ => (HttpStatusCode.OK, """{"status":"ok"}"""));

        var result = await Admin.RunAsync(api, args);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(method, api.Single.Method);
        Assert.Equal(pathAndQuery, api.Single.PathAndQuery);
    }

    [Theory]
    [InlineData(new[] { "declare", "queue", "q" }, "PUT", "/api/queues/%2F/q", """{"durable":true,"auto_delete":false,"arguments":{}}""")]
    [InlineData(new[] { "declare", "queue", "q", "--type", "quorum", "--arguments", """{"x-delivery-limit": 5}""", "--durable=true" }, "PUT", "/api/queues/%2F/q",
        """{"durable":true,"auto_delete":false,"arguments":{"x-delivery-limit":5,"x-queue-type":"quorum"}}""")]
    [InlineData(new[] { "declare", "queue", "tmp", "--durable=false", "--auto-delete", "--vhost", "v" }, "PUT", "/api/queues/v/tmp", """{"durable":false,"auto_delete":true,"arguments":{}}""")]
    [InlineData(new[] { "declare", "exchange", "x" }, "PUT", "/api/exchanges/%2F/x", """{"type":"direct","durable":true,"auto_delete":false,"internal":false,"arguments":{}}""")]
    [InlineData(new[] { "declare", "exchange", "x", "--type", "topic", "--internal", "--arguments", """{"alternate-exchange":"ae"}""" }, "PUT", "/api/exchanges/%2F/x",
        """{"type":"topic","durable":true,"auto_delete":false,"internal":true,"arguments":{"alternate-exchange":"ae"}}""")]
    [InlineData(new[] { "declare", "binding", "--source", "x", "--destination", "q", "--routing-key", "a.#" }, "POST", "/api/bindings/%2F/e/x/q/q", """{"routing_key":"a.#","arguments":{}}""")]
    [InlineData(new[] { "declare", "binding", "--source", "x", "--destination", "y", "--destination-type", "exchange" }, "POST", "/api/bindings/%2F/e/x/e/y", """{"routing_key":"","arguments":{}}""")]
    [InlineData(new[] { "add", "user", "bob", "--password", "pw" }, "PUT", "/api/users/bob", """{"password":"pw","tags":""}""")]
    [InlineData(new[] { "add", "user", "bob", "--password", "pw", "--tags", "administrator,monitoring" }, "PUT", "/api/users/bob", """{"password":"pw","tags":"administrator,monitoring"}""")]
    [InlineData(new[] { "add", "vhost", "v" }, "PUT", "/api/vhosts/v", "{}")]
    [InlineData(new[] { "add", "vhost", "v", "--description", "d", "--default-queue-type", "quorum" }, "PUT", "/api/vhosts/v", """{"description":"d","default_queue_type":"quorum"}""")]
    [InlineData(new[] { "set", "permissions", "bob", "--vhost", "v", "--configure", "", "--write", "^bob\\.", "--read", ".*" }, "PUT", "/api/permissions/v/bob",
        """{"configure":"","write":"^bob\\.","read":".*"}""")]
    [InlineData(new[] { "set", "policy", "ttl", "--pattern", "^tmp", "--definition", """{"message-ttl": 1000}""" }, "PUT", "/api/policies/%2F/ttl",
        """{"pattern":"^tmp","definition":{"message-ttl":1000},"priority":0}""")]
    [InlineData(new[] { "set", "policy", "ttl", "--pattern", "^tmp", "--definition", """{"max-length": 1}""", "--priority", "-2", "--apply-to", "quorum_queues" }, "PUT", "/api/policies/%2F/ttl",
        """{"pattern":"^tmp","definition":{"max-length":1},"priority":-2,"apply-to":"quorum_queues"}""")]
    [InlineData(new[] { "set", "tracing", "off" }, "PUT", "/api/vhosts/%2F", """{"tracing":false}""")]
    [InlineData(new[] { "publish", "--routing-key", "q", "--payload", "hi" }, "POST", "/api/exchanges/%2F/amq.default/publish",
        """{"properties":{},"routing_key":"q","payload":"hi","payload_encoding":"string"}""")]
    [InlineData(new[] { "publish", "--exchange", "x", "--routing-key", "", "--payload", "aGk=", "--payload-encoding", "base64", "--properties", """{"delivery_mode":2}""" },
        "POST", "/api/exchanges/%2F/x/publish", """{"properties":{"delivery_mode":2},"routing_key":"","payload":"aGk=","payload_encoding":"base64"}""")]
    [InlineData(new[] { "get", "queue", "q" }, "POST", "/api/queues/%2F/q/get", """{"count":1,"ackmode":"ack_requeue_true","encoding":"auto"}""")]
    [InlineData(new[] { "get", "queue", "q", "--count", "10", "--ackmode", "ack_requeue_false", "--encoding", "base64" }, "POST", "/api/queues/%2F/q/get",
        """{"count":10,"ackmode":"ack_requeue_false","encoding":"base64"}""")]
    public async Task Changes_send_RabbitMQs_json(string[] args, string method, string pathAndQuery, string body)
    {
        var api = new FakeApi(_ => (HttpStatusCode.Created, """{"routed":true}"""));

        var result = await Admin.RunAsync(api, args);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(method, api.Single.Method);
        Assert.Equal(pathAndQuery, api.Single.PathAndQuery);
        Assert.Equal("application/json", api.Single.ContentType);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(body).RootElement, JsonDocument.Parse(api.Single.Body!).RootElement), api.Single.Body);
    }

    [Fact]
    public async Task Close_connection_sends_the_reason_in_X_Reason()
    {
        var api = FakeApi.Answering(HttpStatusCode.NoContent);

        var result = await Admin.RunAsync(api, "close", "connection", "c1", "--reason", "maintenance: back at 5 — sorry");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("maintenance: back at 5 — sorry", api.Single.Reason);
        Assert.Equal("closed connection 'c1'\n", result.Out);
    }

    [Fact]
    public async Task Import_posts_the_file_as_it_is_and_export_writes_the_answer_as_it_is()
    {
        var file = Path.GetTempFileName();
        try
        {
            const string Definitions = """{"queues":[{"name":"q","vhost":"/","durable":true,"auto_delete":false,"arguments":{}}]}""";
            await File.WriteAllTextAsync(file, Definitions);
            var api = FakeApi.Answering(HttpStatusCode.NoContent);

            var imported = await Admin.RunAsync(api, "import", "definitions", file, "--vhost", "v");

            Assert.Equal(ExitCodes.Ok, imported.ExitCode);
            Assert.Equal(("POST", "/api/definitions/v", Definitions, "application/json"), (api.Single.Method, api.Single.PathAndQuery, api.Single.Body, api.Single.ContentType));

            const string Exported = """{"rabbit_version":"3.10.8","queues":[]}""";
            var exported = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, Exported), "export", "definitions", file);
            Assert.Equal(ExitCodes.Ok, exported.ExitCode);
            Assert.Equal(Exported, await File.ReadAllTextAsync(file));
            Assert.Equal(Exported + "\n", (await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, Exported), "export", "definitions")).Out);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Import_of_a_missing_file_fails_without_a_request()
    {
        var api = FakeApi.Answering(HttpStatusCode.NoContent);

        var result = await Admin.RunAsync(api, "import", "definitions", "/nonexistent/definitions.json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Empty(api.Requests);
        Assert.Contains("definitions.json", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_binding_finds_the_binding_by_key_and_deletes_it_by_its_properties_key()
    {
        const string Bindings = """
            [{"source":"x","vhost":"/","destination":"q","destination_type":"queue","routing_key":"a","arguments":{},"properties_key":"a"},
             {"source":"x","vhost":"/","destination":"q","destination_type":"queue","routing_key":"b","arguments":{"k":1},"properties_key":"b~abc"}]
            """;
        var api = new FakeApi(request => request.Method == "GET" ? (HttpStatusCode.OK, Bindings) : (HttpStatusCode.NoContent, ""));

        var result = await Admin.RunAsync(api, "delete", "binding", "--source", "x", "--destination", "q", "--routing-key", "b");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(["GET /api/bindings/%2F/e/x/q/q", "DELETE /api/bindings/%2F/e/x/q/q/b~abc"], api.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));

        var missing = await Admin.RunAsync(new FakeApi(_ => (HttpStatusCode.OK, Bindings)), "delete", "binding", "--source", "x", "--destination", "q", "--routing-key", "b", "--arguments", """{"k":2}""");
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.StartsWith("broker admin: no binding from exchange 'x' to queue 'q' with routing key 'b'", missing.Error, StringComparison.Ordinal);
    }
}
