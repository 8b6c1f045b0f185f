using System.Net;
using System.Text;
using Broker.Engine.Security;
using Broker.Management.Http;
using Microsoft.AspNetCore.Http;

namespace Broker.ManagementTests;

/// <summary>
/// RabbitMQ's loopback_users on the HTTP API: such a user's right password from another address is
/// 401 "User can only log in via localhost" (rabbit_mgmt_util:is_authorized). Requests are built in
/// memory, since every test server here listens on loopback.
/// </summary>
public sealed class LoopbackUserTests
{
    private readonly UserStore _users = new();

    public LoopbackUserTests() => _users.AddOrUpdate("guest", "guest", ["administrator"]);

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:192.168.1.9")]
    public void Guest_from_elsewhere_is_401_localhost_only(string peer)
    {
        var error = Assert.Throws<ApiError>(() => BasicAuthentication.Authenticate(Request(peer, "guest:guest"), _users, ["guest"]));

        Assert.Equal((401, "not_authorized", "User can only log in via localhost"), (error.Status, error.Error, error.Reason));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Guest_from_loopback_logs_in(string peer) =>
        Assert.Equal("guest", BasicAuthentication.Authenticate(Request(peer, "guest:guest"), _users, ["guest"]).Name);

    [Fact]
    public void A_wrong_password_from_elsewhere_is_still_login_failed() =>
        Assert.Equal("Login failed", Assert.Throws<ApiError>(() => BasicAuthentication.Authenticate(Request("10.1.2.3", "guest:nope"), _users, ["guest"])).Reason);

    [Fact]
    public void An_empty_list_lets_guest_in_from_anywhere() =>
        Assert.Equal("guest", BasicAuthentication.Authenticate(Request("10.1.2.3", "guest:guest"), _users, []).Name);

    private static DefaultHttpContext Request(string peer, string credentials)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));
        return context;
    }
}
