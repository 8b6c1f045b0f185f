using System.Text.Json.Nodes;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>Pagination, name filters, sorting and columns, as every RabbitMQ list endpoint takes them.</summary>
public sealed class ListingTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    private async Task<string> VirtualHostWithQueuesAsync(params string[] queues)
    {
        var virtualHost = await CreateVirtualHostAsync();
        foreach (var queue in queues)
        {
            await DeclareQueueAsync(virtualHost, queue);
        }

        return virtualHost;
    }

    private static List<string> Names(JsonNode items) => [.. items.AsArray().Select(i => i!["name"]!.GetValue<string>())];

    [Fact]
    public async Task A_page_has_RabbitMQs_counts_and_its_items()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("q1", "q2", "q3", "q4", "q5");

        var first = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&page_size=2");
        var last = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=3&page_size=2");

        Assert.Equal(
            ["filtered_count", "item_count", "items", "page", "page_count", "page_size", "total_count"],
            first.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal((5, 2, 1, 3, 2, 5), (first["filtered_count"]!.GetValue<int>(), first["item_count"]!.GetValue<int>(), first["page"]!.GetValue<int>(),
            first["page_count"]!.GetValue<int>(), first["page_size"]!.GetValue<int>(), first["total_count"]!.GetValue<int>()));
        Assert.Equal(["q1", "q2"], Names(first["items"]!));
        Assert.Equal(["q5"], Names(last["items"]!));
        Assert.Equal(1, last["item_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Page_size_defaults_to_100_and_without_page_the_answer_is_a_plain_list()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("a", "b");

        var page = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1");
        var plain = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page_size=1");

        Assert.Equal(100, page["page_size"]!.GetValue<int>());
        Assert.Equal(["a", "b"], Names(plain));
    }

    [Fact]
    public async Task Page_size_over_500_or_page_0_is_400_invalid_pagination_parameters()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("a");

        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=1&page_size=900"))
            .AssertError(400, "invalid_pagination_parameters", "Invalid pagination parameters: page number 1, page size 900");
        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=0"))
            .AssertError(400, "invalid_pagination_parameters", "Invalid pagination parameters: page number 0, page size undefined");
        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=1&page_size=0"))
            .AssertError(400, "invalid_pagination_parameters", "Invalid pagination parameters: page number 1, page size 0");
        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=1&page_size=500")).AssertStatus(200);
    }

    [Fact]
    public async Task A_page_that_is_not_a_number_is_400()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("a");

        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=abc")).AssertError(400, "bad_request", "Pagination parameters are invalid");
    }

    [Fact]
    public async Task A_page_past_the_end_is_400_page_out_of_range()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("a", "b", "c");

        var empty = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=2&page_size=3");

        Assert.Empty(empty["items"]!.AsArray());
        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=3&page_size=2"))
            .AssertError(400, "page_out_of_range", "Page out of range, page: 3 page size: 2, len: 3");
    }

    [Fact]
    public async Task Name_filter_is_a_case_insensitive_substring()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("orders.eu", "Orders.us", "payments");

        var page = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&name=ORDERS");

        Assert.Equal(["Orders.us", "orders.eu"], Names(page["items"]!));
        Assert.Equal((2, 3), (page["filtered_count"]!.GetValue<int>(), page["total_count"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Name_filter_with_use_regex_is_a_case_insensitive_regex()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("orders.eu", "Orders.us", "payments.eu");

        var page = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&use_regex=true&name=" + Uri.EscapeDataString("^o.*\\.(eu|US)$"));
        var literal = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&use_regex=false&name=" + Uri.EscapeDataString("^o"));

        Assert.Equal(["Orders.us", "orders.eu"], Names(page["items"]!));
        Assert.Empty(literal["items"]!.AsArray());
        Assert.Equal(0, literal["page_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_invalid_regex_is_400()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("a");

        (await Admin.GetAsync(Path("queues", virtualHost) + "?page=1&use_regex=true&name=" + Uri.EscapeDataString("(")))
            .AssertError(400, "bad_request", "Pagination parameters are invalid");
    }

    [Fact]
    public async Task Name_filter_applies_only_with_pagination()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("match", "other");

        var plain = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?name=match");

        Assert.Equal(["match", "other"], Names(plain));
    }

    [Fact]
    public async Task Sort_and_sort_reverse_order_by_a_field()
    {
        var virtualHost = await VirtualHostWithQueuesAsync("b", "c", "a");
        await PublishOverApiAsync(virtualHost, "b", "1");
        await PublishOverApiAsync(virtualHost, "b", "2");
        await PublishOverApiAsync(virtualHost, "c", "1");
        await EventuallyAsync(Path("queues", virtualHost, "b"), q => q["messages"]?.GetValue<long>() == 2, "b has 2 messages");
        await EventuallyAsync(Path("queues", virtualHost, "c"), q => q["messages"]?.GetValue<long>() == 1, "c has 1 message");

        var reversed = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?sort_reverse=true");
        var byMessages = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?sort=messages");
        var byMessagesReversed = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&sort=messages&sort_reverse=true");

        Assert.Equal(["c", "b", "a"], Names(reversed));
        Assert.Equal(["a", "c", "b"], Names(byMessages));
        Assert.Equal(["b", "c", "a"], Names(byMessagesReversed["items"]!));
    }

    [Fact]
    public async Task Columns_keep_only_the_named_top_level_fields_whole()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "q", """{"durable":true,"arguments":{"x-max-length":7,"x-message-ttl":1000}}""");

        var plain = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?columns=name,durable,arguments.x-max-length");
        var page = await Admin.GetJsonAsync(Path("queues", virtualHost) + "?page=1&columns=name");

        // RabbitMQ 3.10 keeps the whole top-level field of a dotted column.
        var expected = JsonNode.Parse("""[{"name":"q","durable":true,"arguments":{"x-max-length":7,"x-message-ttl":1000}}]""");
        Assert.True(JsonNode.DeepEquals(expected, plain), plain.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"q"}]"""), page["items"]), page.ToJsonString());
    }

    [Fact]
    public async Task Vhosts_and_exchanges_paginate_too()
    {
        var virtualHost = await CreateVirtualHostAsync();

        var vhosts = await Admin.GetJsonAsync("api/vhosts?page=1&page_size=1&use_regex=true&name=" + Uri.EscapeDataString("^" + virtualHost + "$"));
        var exchanges = await Admin.GetJsonAsync(Path("exchanges", virtualHost) + "?page=2&page_size=3");

        Assert.Equal([virtualHost], Names(vhosts["items"]!));
        Assert.Equal(["amq.headers", "amq.match", "amq.rabbitmq.trace"], Names(exchanges["items"]!));
        Assert.Equal((7, 3), (exchanges["total_count"]!.GetValue<int>(), exchanges["page_count"]!.GetValue<int>()));
    }
}
