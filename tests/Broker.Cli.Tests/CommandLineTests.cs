using System.Net;

namespace Broker.Cli.Tests;

/// <summary>What the CLI refuses before it sends anything, and what it reads from where.</summary>
public sealed class CommandLineTests
{
    private const string Ok = """{"status":"ok"}""";

    [Theory]
    [InlineData("frob")]
    [InlineData("list")]
    [InlineData("list", "things")]
    [InlineData("delete", "queue")]
    [InlineData("delete", "queue", "")]
    [InlineData("delete", "queue", "q", "extra")]
    [InlineData("delete", "queue", "q", "--pattern", "x")]
    [InlineData("delete", "queue", "q", "--nosuch")]
    [InlineData("list", "queues", "--vhost")]
    [InlineData("list", "users", "--vhost", "v")]
    [InlineData("list", "queues", "--page-size", "501")]
    [InlineData("list", "queues", "--format", "yaml")]
    [InlineData("declare", "queue", "q", "--arguments", "[1]")]
    [InlineData("declare", "queue", "q", "--arguments", "{nope")]
    [InlineData("declare", "queue", "q", "--durable=maybe")]
    [InlineData("set", "policy", "p", "--pattern", ".*")]
    [InlineData("set", "permissions", "u", "--configure", ".*", "--write", ".*")]
    [InlineData("add", "user", "bob")]
    [InlineData("check", "port-listener", "http")]
    [InlineData("check", "port-listener", "70000")]
    [InlineData("close", "connection", "c", "--reason", "two\nlines")]
    [InlineData("status", "--url", "amqp://localhost/")]
    [InlineData("status", "--timeout", "0")]
    public async Task A_wrong_command_line_exits_64_with_one_line_and_sends_nothing(params string[] args)
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, Ok);

        var result = await Admin.RunAsync(api, args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(api.Requests);
        Assert.Equal("", result.Out);
        Assert.StartsWith("broker admin: ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Help_lists_every_command_and_exit_code()
    {
        var result = await Admin.RunAsync(null, "--help");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        foreach (var text in (string[])["list queues", "purge queue", "delete queue", "declare queue", "declare exchange", "close connection",
            "export definitions", "import definitions", "add user", "add vhost", "set permissions", "set policy", "publish", "get queue",
            "status", "check alarms", "port-listener PORT", "aliveness VHOST", "--format", "BROKER_MANAGEMENT_URL", "69", "77"])
        {
            Assert.Contains(text, result.Out, StringComparison.Ordinal);
        }

        Assert.Equal(result.Out, (await Admin.RunAsync(null, "help")).Out);
    }

    [Fact]
    public async Task No_command_prints_the_usage_to_stderr_and_exits_64()
    {
        var result = await Admin.RunAsync(null);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("list queues", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_url_and_credentials_are_RabbitMQs()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, Ok);

        await Admin.RunAsync(api, "check", "alarms");

        Assert.Equal("/api/health/checks/alarms", api.Single.PathAndQuery);
        Assert.Equal(Basic("guest", "guest"), api.Single.Authorization);
    }

    [Fact]
    public async Task Credentials_come_from_the_options_then_the_url_then_the_environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["BROKER_MANAGEMENT_URL"] = "http://envuser:envpass@broker.example:15673/",
            ["BROKER_ADMIN_USER"] = "admin",
            ["BROKER_ADMIN_PASSWORD"] = "secret",
        };
        var api = new FakeApi(_ => (HttpStatusCode.OK, Ok));

        await Admin.RunAsync(api, environment, "check", "alarms");
        await Admin.RunAsync(api, environment, "check", "alarms", "--user", "cli", "--password", "p:w");
        await Admin.RunAsync(api, new Dictionary<string, string> { ["BROKER_ADMIN_USER"] = "admin", ["BROKER_ADMIN_PASSWORD"] = "secret" }, "check", "alarms");
        await Admin.RunAsync(api, "check", "alarms", "--url", "http://a%40b:p%3Aw@localhost:15672/");

        Assert.Equal(
            [Basic("envuser", "envpass"), Basic("cli", "p:w"), Basic("admin", "secret"), Basic("a@b", "p:w")],
            api.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task The_api_is_found_under_the_urls_path()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, Ok);

        await Admin.RunAsync(api, "check", "alarms", "--url", "https://broker.example/rabbit");

        Assert.Equal("/rabbit/api/health/checks/alarms", api.Single.PathAndQuery);
    }

    [Fact]
    public async Task Options_may_come_before_or_after_the_command_and_as_name_equals_value()
    {
        var api = FakeApi.Answering(HttpStatusCode.NoContent);

        var result = await Admin.RunAsync(api, "--vhost=/", "purge", "--", "queue", "-dash");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("/api/queues/%2F/-dash/contents", api.Single.PathAndQuery);
    }

    [Fact]
    public async Task After_add_user_the_password_is_the_new_users_and_before_it_the_callers()
    {
        var api = FakeApi.Answering(HttpStatusCode.Created);

        var result = await Admin.RunAsync(api, "--user", "admin", "--password", "adminpw", "add", "user", "bob", "--password", "bobpw", "--tags", "monitoring");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(Basic("admin", "adminpw"), api.Single.Authorization);
        Assert.Equal("""{"password":"bobpw","tags":"monitoring"}""", api.Single.Body);
        Assert.Equal("added user 'bob'\n", result.Out);
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));
}
