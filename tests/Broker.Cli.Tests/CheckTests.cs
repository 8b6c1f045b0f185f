using System.Net;

namespace Broker.Cli.Tests;

/// <summary>Health checks: 0 and "ok" when healthy; 1 and the reason on one line when the API's 503 says
/// otherwise.</summary>
public sealed class CheckTests
{
    [Fact]
    public async Task Healthy_prints_ok_and_exits_0()
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.OK, """{"status":"ok","port":5672}"""), "check", "port-listener", "5672");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("ok: listener on port 5672\n", result.Out);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [InlineData(new[] { "check", "alarms" }, """{"status":"failed","reason":"There are alarms in effect in the cluster","alarms":[{"node":"rabbit@a","resource":"memory"},{"node":"rabbit@b","resource":"disk"}]}""",
        "alarms: There are alarms in effect in the cluster: memory on rabbit@a, disk on rabbit@b")]
    [InlineData(new[] { "check", "port-listener", "5999" }, """{"status":"failed","reason":"No active listener","missing":5999,"ports":[15672,5672]}""",
        "listener on port 5999: No active listener; listening on: 15672,5672")]
    [InlineData(new[] { "check", "virtual-hosts" }, """{"status":"failed","reason":"Some virtual hosts are down","virtual-hosts":["a","b"]}""",
        "virtual hosts: Some virtual hosts are down; virtual hosts: a,b")]
    [InlineData(new[] { "check", "aliveness", "/" }, """{"status":"failed","reason":"queue not reachable"}""", "aliveness of vhost '/': queue not reachable")]
    public async Task Unhealthy_prints_the_reason_on_one_line_and_exits_1(string[] args, string body, string reason)
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.ServiceUnavailable, body), args);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal($"broker admin: check failed: {reason}\n", result.Error);
    }

    [Fact]
    public async Task Json_prints_the_apis_answer_healthy_or_not()
    {
        const string Failed = """{"status":"failed","reason":"There are alarms in effect in the cluster","alarms":[]}""";

        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.ServiceUnavailable, Failed), "check", "alarms", "--format", "json");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal(Failed + "\n", result.Out);
    }

    [Fact]
    public async Task A_missing_vhost_is_the_apis_404()
    {
        var result = await Admin.RunAsync(FakeApi.Answering(HttpStatusCode.NotFound, """{"error":"Object Not Found","reason":"Not Found"}"""), "check", "aliveness", "nope");

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Equal("broker admin: GET /api/aliveness-test/nope: 404 Object Not Found: Not Found\n", result.Error);
    }

    [Fact]
    public async Task Status_shows_version_totals_and_rates()
    {
        var api = FakeApi.Answering(HttpStatusCode.OK, """
            {"product_name":"RabbitMQ","product_version":"3.10.8","rabbitmq_version":"3.10.8","cluster_name":"rabbit@h","node":"rabbit@h",
             "object_totals":{"channels":1,"connections":1,"consumers":0,"exchanges":14,"queues":100000},
             "queue_totals":{"messages":7,"messages_ready":5,"messages_unacknowledged":2},
             "message_stats":{"publish":10,"publish_details":{"rate":1.5}}}
            """);

        var result = await Admin.RunAsync(api, "status");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(
            [
                "product                  RabbitMQ 3.10.8",
                "cluster                  rabbit@h",
                "node                     rabbit@h",
                "connections              1",
                "channels                 1",
                "exchanges                14",
                "queues                   100000",
                "consumers                0",
                "messages                 7",
                "messages ready           5",
                "messages unacknowledged  2",
                "publish rate (msg/s)     1.5",
            ],
            result.OutLines);
    }
}
