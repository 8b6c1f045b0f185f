using System.Net;
using System.Net.Sockets;

namespace Broker.Cli.Tests;

/// <summary>Exit codes for scripts: the API's errors, failed checks, unreachable and refused brokers.</summary>
public sealed class ExitCodeTests
{
    [Fact]
    public async Task An_api_error_is_one_line_with_the_request_status_and_reason_and_exits_1()
    {
        var api = FakeApi.Answering(HttpStatusCode.BadRequest, """{"error":"bad_request","reason":"Validation failed\n\n[{&lt;&lt;\"bogus\"&gt;&gt;,1}] are not recognised policy settings\n"}""");

        var result = await Admin.RunAsync(api, "set", "policy", "p", "--pattern", ".", "--definition", """{"bogus":1}""");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal("broker admin: PUT /api/policies/%2F/p: 400 bad_request: Validation failed [{<<\"bogus\">>,1}] are not recognised policy settings\n", result.Error);
    }

    [Fact]
    public async Task Not_found_exits_1()
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.NotFound, """{"error":"Object Not Found","reason":"Not Found"}"""), "delete", "queue", "nope");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("broker admin: DELETE /api/queues/%2F/nope: 404 Object Not Found: Not Found\n", result.Error);
    }

    [Fact]
    public async Task An_error_without_a_body_names_the_status()
    {
        var result = await Admin.RunAsync(new FakeApi(_ => (HttpStatusCode.NotAcceptable, "")), "purge", "queue", "q");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("broker admin: DELETE /api/queues/%2F/q/contents: 406 Not Acceptable\n", result.Error);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, """{"error":"not_authorized","reason":"Login failed"}""", "401 not_authorized: Login failed")]
    [InlineData(HttpStatusCode.Unauthorized, """{"error":"not_authorised","reason":"Not administrator user"}""", "401 not_authorised: Not administrator user")]
    [InlineData(HttpStatusCode.Forbidden, "", "403 Forbidden")]
    public async Task Refused_credentials_or_rights_exit_77(HttpStatusCode status, string body, string reason)
    {
        var result = await Admin.RunAsync(new FakeApi(_ => (status, body)), "check", "alarms");

        Assert.Equal(ExitCodes.NotAuthorised, result.ExitCode);
        Assert.Equal($"broker admin: GET /api/health/checks/alarms: {reason}\n", result.Error);
    }

    [Fact]
    public async Task A_refused_connection_exits_69()
    {
        var api = FakeApi.Refusing(new HttpRequestException("Connection refused (127.0.0.1:15672)", new SocketException((int)SocketError.ConnectionRefused)));

        var result = await Admin.RunAsync(api, "check", "alarms");

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Equal("broker admin: cannot reach the management API at http://127.0.0.1:15672/api/: Connection refused (127.0.0.1:15672)\n", result.Error);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_exits_69()
    {
        var api = new FakeApi(_ => throw new TaskCanceledException("timed out", new TimeoutException()));

        var result = await Admin.RunAsync(api, "status", "--timeout", "5");

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Equal("broker admin: no answer from the management API at http://127.0.0.1:15672/api/ within 5 s\n", result.Error);
    }

    [Fact]
    public async Task A_real_refused_connection_exits_69()
    {
        // A port nothing listens on: bound, then released.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        socket.Close();

        var result = await Admin.RunAsync(null, "check", "alarms", "--url", $"http://127.0.0.1:{port}/");

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.StartsWith($"broker admin: cannot reach the management API at http://127.0.0.1:{port}/api/", result.Error, StringComparison.Ordinal);
    }
}
