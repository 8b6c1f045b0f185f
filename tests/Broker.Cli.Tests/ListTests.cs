using System.Net;
using System.Text.Json;

namespace Broker.Cli.Tests;

/// <summary>list: paths per kind and vhost, pages followed to the end, tables and JSON.</summary>
public sealed class ListTests
{
    [Theory]
    [InlineData("queues", null, "/api/queues?page=1&page_size=500&columns=vhost%2Cname%2Ctype%2Cmessages%2Cmessages_ready%2Cmessages_unacknowledged%2Cconsumers")]
    [InlineData("queue", "/", "/api/queues/%2F?page=1&page_size=500&columns=name%2Ctype%2Cmessages%2Cmessages_ready%2Cmessages_unacknowledged%2Cconsumers")]
    [InlineData("exchanges", "v", "/api/exchanges/v?")]
    [InlineData("bindings", "v", "/api/bindings/v?")]
    [InlineData("connections", "v", "/api/vhosts/v/connections?")]
    [InlineData("channels", "v", "/api/vhosts/v/channels?")]
    [InlineData("consumers", "v", "/api/consumers/v?page=1&page_size=500&columns=queue%2Cconsumer_tag%2Cchannel_details%2Cack_required%2Cprefetch_count%2Cexclusive")]
    [InlineData("permissions", "v", "/api/vhosts/v/permissions?")]
    [InlineData("policies", "v", "/api/policies/v?")]
    [InlineData("policy", null, "/api/policies?")]
    [InlineData("vhosts", null, "/api/vhosts?")]
    [InlineData("users", null, "/api/users?")]
    public async Task Each_kind_is_listed_from_its_path(string kind, string? vhost, string expectedStart)
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, "[]");
        string[] args = vhost is null ? ["list", kind] : ["list", kind, "--vhost", vhost];

        var result = await Admin.RunAsync(api, args);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.StartsWith(expectedStart, api.Single.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_has_the_kinds_columns_aligned_with_numbers_on_the_right()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, """
            [{"name":"orders","vhost":"/","type":"quorum","messages":12345,"messages_ready":12000,"messages_unacknowledged":345,"consumers":2,"memory":1},
             {"name":"a-much-longer-queue-name","vhost":"shop","type":"classic","messages":0,"messages_ready":0,"messages_unacknowledged":0,"consumers":0}]
            """);

        var result = await Admin.RunAsync(api, "list", "queues");

        Assert.Equal(
            [
                "vhost  name                      type     messages  messages_ready  messages_unacknowledged  consumers",
                "/      orders                    quorum      12345           12000                      345          2",
                "shop   a-much-longer-queue-name  classic         0               0                        0          0",
            ],
            result.OutLines);
    }

    [Fact]
    public async Task Cells_render_nested_fields_lists_objects_missing_values_and_control_characters()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, """
            [{"queue":{"name":"q1","vhost":"/"},"consumer_tag":"tag\n1","channel_details":{"name":"ch 1"},"ack_required":true,"prefetch_count":null,"exclusive":false},
             {"queue":{"name":"q2"},"consumer_tag":"t2","ack_required":false,"exclusive":{"a":[1,"é"]}}]
            """);

        var result = await Admin.RunAsync(api, "list", "consumers", "--vhost", "/");

        Assert.Equal(
            [
                "queue.name  consumer_tag  channel_details.name  ack_required  prefetch_count  exclusive",
                "q1          tag\\n1        ch 1                  true                          false",
                "q2          t2                                  false                         {\"a\":[1,\"é\"]}",
            ],
            result.OutLines);

        var users = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, """[{"name":"bob","tags":["administrator","monitoring"]}]"""), "list", "users");
        Assert.Equal(["name  tags", "bob   administrator,monitoring"], users.OutLines);
    }

    [Fact]
    public async Task Columns_can_be_chosen()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, """[{"name":"q","arguments":{"x-queue-type":"quorum"}}]""");

        var result = await Admin.RunAsync(api, "list", "queues", "--columns", "name, arguments.x-queue-type");

        Assert.EndsWith("&columns=name%2Carguments", api.Single.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(["name  arguments.x-queue-type", "q     quorum"], result.OutLines);
    }

    [Fact]
    public async Task Json_with_chosen_columns_asks_the_api_for_them_and_prints_its_answer()
    {
        const string Answer = """[{"name":"q","arguments":{"x-queue-type":"quorum"}}]""";
        var api = FakeApi.Answering(HttpStatusCode.OK, Answer);

        var result = await Admin.RunAsync(api, "list", "queues", "--columns", "name,arguments.x-queue-type", "--format", "json");

        Assert.EndsWith("&columns=name%2Carguments", api.Single.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("[\n{\"name\":\"q\",\"arguments\":{\"x-queue-type\":\"quorum\"}}\n]\n", result.Out);
    }

    [Fact]
    public async Task An_empty_list_prints_the_header_alone()
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, """{"items":[],"page":1,"page_count":0,"page_size":500,"total_count":0}"""), "list", "exchanges", "--vhost", "v");

        Assert.Equal(["name  type  durable  auto_delete  internal"], result.OutLines);
    }

    [Fact]
    public async Task Pages_are_fetched_until_the_last_and_printed_as_one_table()
    {
        var api = new FakeApi(request => (HttpStatusCode.OK, Page(request, pageCount: 3)));

        var result = await Admin.RunAsync(api, "list", "queues", "--vhost", "v", "--page-size", "2", "--columns", "name");

        Assert.Equal(["/api/queues/v?page=1&page_size=2&columns=name", "/api/queues/v?page=2&page_size=2&columns=name", "/api/queues/v?page=3&page_size=2&columns=name"],
            api.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(["name", "q1-a", "q1-b", "q2-a", "q2-b", "q3-a", "q3-b"], result.OutLines);
    }

    [Fact]
    public async Task Json_is_the_apis_items_as_they_are_in_one_array_across_pages()
    {
        var api = new FakeApi(request => (HttpStatusCode.OK, Page(request, pageCount: 2)));

        var result = await Admin.RunAsync(api, "list", "queues", "--format", "json");

        Assert.DoesNotContain("columns=", api.Requests[0].PathAndQuery, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(["q1-a", "q1-b", "q2-a", "q2-b"], json.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()));
        Assert.Equal(7, json.RootElement[0].GetProperty("messages").GetInt32());
        Assert.Contains("""{"name":"q1-a", "messages":7}""", result.Out, StringComparison.Ordinal);

        var empty = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, "[]"), "list", "users", "--format", "json");
        Assert.Equal("[]\n", empty.Out);
    }

    [Fact]
    public async Task A_list_that_shrinks_between_pages_ends_at_the_first_page_out_of_range()
    {
        var api = new FakeApi(request => request.PathAndQuery.Contains("page=1&", StringComparison.Ordinal)
            ? (HttpStatusCode.OK, """{"items":[{"name":"a"}],"page":1,"page_count":2}""")
            : (HttpStatusCode.BadRequest, """{"error":"page_out_of_range","reason":"Page out of range, page: 2 page size: 1, len: 1"}"""));

        var result = await Admin.RunAsync(api, "list", "queues", "--columns", "name", "--page-size", "1");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(["name", "a"], result.OutLines);
    }

    [Fact]
    public async Task An_answer_that_is_neither_a_list_nor_a_page_fails()
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, "<html>login</html>"), "list", "queues");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("broker admin: the answer to GET /api/queues is not JSON: <html>login</html>\n", result.Error);
    }

    // Page N of a list of two queues a page, in RabbitMQ's format (and its spacing kept, to see it is kept).
    private static string Page(SentRequest request, int pageCount)
    {
        var page = request.PathAndQuery.Split('?')[1].Split('&').Single(p => p.StartsWith("page=", StringComparison.Ordinal))[5..];
        return $$"""{"filtered_count":{{2 * pageCount}},"item_count":2,"items":[{"name":"q{{page}}-a", "messages":7},{"name":"q{{page}}-b", "messages":0}],"page":{{page}},"page_count":{{pageCount}},"page_size":2,"total_count":{{2 * pageCount}}}""";
    }
}
