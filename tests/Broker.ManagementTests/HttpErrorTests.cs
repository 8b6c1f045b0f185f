using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>What the API answers to requests it cannot serve: 404, 405 with Allow, 400 not_json.</summary>
public sealed class HttpErrorTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [Theory]
    [InlineData("api/no-such-thing")]
    [InlineData("api/vhosts/no-such-vhost-mgmt-test")]
    [InlineData("api/users/no-such-user-mgmt-test")]
    [InlineData("api/queues/%2F/no-such-queue-mgmt-test")]
    [InlineData("api/exchanges/%2F/no-such-exchange-mgmt-test")]
    [InlineData("api/queues/no-such-vhost-mgmt-test")]
    [InlineData("api/exchanges/no-such-vhost-mgmt-test/amq.direct")]
    public async Task Unknown_paths_and_objects_are_404_object_not_found(string path)
    {
        (await Admin.GetAsync(path)).AssertError(404, "Object Not Found", "Not Found");
    }

    [Fact]
    public async Task A_method_a_resource_does_not_take_is_405_with_allow()
    {
        var overview = await Admin.SendAsync(HttpMethod.Post, "api/overview", "{}");
        var queue = await Admin.SendAsync(HttpMethod.Patch, "api/queues/%2F/some-queue", "{}");

        overview.AssertStatus(405);
        Assert.Equal(["HEAD", "GET", "OPTIONS"], overview.ContentHeaders.Allow);
        queue.AssertStatus(405);
        Assert.Equal(["HEAD", "GET", "PUT", "DELETE", "OPTIONS"], queue.ContentHeaders.Allow);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("1")]
    public async Task A_body_that_is_not_a_json_object_is_400_not_json(string body)
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), body)).AssertError(400, "bad_request", "not_json");
        (await Admin.PutAsync(Path("exchanges", virtualHost, "x"), body)).AssertError(400, "bad_request", "not_json");
        (await Admin.PutAsync(Path("vhosts", UniqueName("vh")), body)).AssertError(400, "bad_request", "not_json");
        (await Admin.GetAsync(Path("queues", virtualHost, "q"))).AssertStatus(404);
    }

    [Fact]
    public async Task A_body_that_is_a_json_string_is_400_doubly_encoded()
    {
        var virtualHost = await CreateVirtualHostAsync();

        (await Admin.PutAsync(Path("queues", virtualHost, "q"), "\"{}\""))
            .AssertError(400, "bad_request", "invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?");
    }

    [Theory]
    [InlineData("api/exchanges/%2F/amq.direct/publish", new[] { "POST", "OPTIONS" })]
    [InlineData("api/bindings/%2F/e/amq.direct/q/some-queue", new[] { "HEAD", "GET", "POST", "OPTIONS" })]
    [InlineData("api/bindings/%2F/e/amq.direct/q/some-queue/key", new[] { "HEAD", "GET", "DELETE", "OPTIONS" })]
    [InlineData("api/queues/%2F/some-queue/contents", new[] { "DELETE", "OPTIONS" })]
    [InlineData("api/definitions", new[] { "HEAD", "GET", "POST", "OPTIONS" })]
    [InlineData("api/users/bulk-delete", new[] { "POST", "OPTIONS" })]
    public async Task Allow_lists_the_methods_of_the_resource_in_RabbitMQs_order(string path, string[] allowed)
    {
        var response = await Admin.SendAsync(HttpMethod.Patch, path, "{}");

        response.AssertStatus(405);
        Assert.Equal(allowed, response.ContentHeaders.Allow);
    }
}
