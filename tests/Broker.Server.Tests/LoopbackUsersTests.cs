using System.Text;
using Broker.Engine.Security;
using Broker.Server.Hosting;

namespace Broker.Server.Tests;

/// <summary>
/// RabbitMQ's loopback_users ([guest] by default): such a user logs in only from a loopback address;
/// from elsewhere the login is refused as a wrong password is (403 for a client that asked to be told).
/// </summary>
public sealed class LoopbackUsersTests : IAsyncLifetime
{
    private static readonly RawConnectOptions ToldOnFailure =
        new() { Capabilities = new Dictionary<string, object?> { ["authentication_failure_close"] = true } };

    private ServerHarness _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    [Theory]
    [InlineData("10.1.2.3:40000")]
    [InlineData("[2001:db8::1]:40000")]
    [InlineData("[::ffff:192.168.1.9]:40000")]
    public async Task Guest_from_elsewhere_is_refused_with_403(string peer)
    {
        var told = await _server.ConnectAsync(ToldOnFailure, handshake: false, remoteEndPoint: peer);
        await LogInAsync(told.Client, "guest", "guest");
        var close = await told.Client.ExpectMethodAsync(0, 10, 50);
        Assert.Equal(new RawClose(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.", 0, 0), RawClose.Read(close));
        await told.ExpectEndAsync();
        Assert.Contains(_server.Logs.Entries, entry => entry.Message.Contains("user 'guest' can only connect via localhost", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:40000")]
    [InlineData("[::1]:40000")]
    [InlineData("[::ffff:127.0.0.1]:40000")]
    public async Task Guest_from_a_loopback_address_logs_in(string peer)
    {
        var connection = await _server.ConnectAsync(remoteEndPoint: peer);
        await connection.Client.OpenChannelAsync(1);
    }

    [Fact]
    public async Task Other_users_log_in_from_anywhere()
    {
        _server.Engine.Users.AddOrUpdate("app", "pw", []);
        _server.Engine.Users.SetPermissions("app", "/", new Permissions(".*", ".*", ".*"));
        var connection = await _server.ConnectAsync(uri: new Uri("amqp://app:pw@in-memory/"), remoteEndPoint: "10.1.2.3:40000");
        await connection.Client.OpenChannelAsync(1);
    }

    [Fact]
    public async Task An_empty_list_lets_guest_in_from_anywhere()
    {
        await _server.DisposeAsync();
        _server = new ServerHarness(new ServerOptions { LoopbackUsers = [] });
        var connection = await _server.ConnectAsync(remoteEndPoint: "10.1.2.3:40000");
        await connection.Client.OpenChannelAsync(1);
    }

    private static async Task LogInAsync(RawAmqpConnection client, string user, string password)
    {
        await client.SendProtocolHeaderAsync();
        await client.ExpectStartAsync();
        await client.SendStartOkAsync("PLAIN", Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
    }
}
