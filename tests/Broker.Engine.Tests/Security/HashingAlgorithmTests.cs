using Broker.Engine.Security;

namespace Broker.Engine.Tests.Security;

/// <summary>RabbitMQ's other two hashing modules: hashes made by a RabbitMQ configured with them import and log in.</summary>
public class HashingAlgorithmTests
{
    // Salt 01020304, computed outside .NET (Python's hashlib); RabbitMQ 3.10 accepted both, imported
    // with these algorithms, for these passwords (GET /api/whoami answered, a wrong password was refused).
    private const string Sha512OfPw512 = "AQIDBC7ycYuFch8KXPKvr7VeqRVbYxPSprRvfyRAwF7dUlG5QkPMvK8D/53FksiTH4ERz3rNdHcpAziWiUd4pn0fWTI=";
    private const string Md5OfPwmd5 = "AQIDBLS2/xHiPQ252ze35ZtSjBQ=";

    [Fact]
    public void A_sha512_hash_made_for_RabbitMQ_verifies_with_its_algorithm_only()
    {
        Assert.True(PasswordHash.Verify("pw512", Sha512OfPw512, PasswordHash.Sha512));
        Assert.False(PasswordHash.Verify("pw513", Sha512OfPw512, PasswordHash.Sha512));
        Assert.False(PasswordHash.Verify("pw512", Sha512OfPw512, PasswordHash.Sha256));
    }

    [Fact]
    public void An_md5_hash_made_for_RabbitMQ_verifies_with_its_algorithm_only()
    {
        Assert.True(PasswordHash.Verify("pwmd5", Md5OfPwmd5, PasswordHash.Md5));
        Assert.False(PasswordHash.Verify("pwmd6", Md5OfPwmd5, PasswordHash.Md5));
        Assert.False(PasswordHash.Verify("pwmd5", Md5OfPwmd5, PasswordHash.Sha256));
    }

    [Fact]
    public void An_unknown_algorithm_never_verifies()
    {
        Assert.False(PasswordHash.IsSupported("rabbit_password_hashing_bcrypt"));
        Assert.False(PasswordHash.Verify("pwmd5", Md5OfPwmd5, "rabbit_password_hashing_bcrypt"));
    }

    [Fact]
    public void A_restored_user_logs_in_with_the_algorithm_of_its_hash()
    {
        var users = new UserStore();
        users.Restore("old", Md5OfPwmd5, [], PasswordHash.Md5);
        users.Restore("strong", Sha512OfPw512, ["administrator"], PasswordHash.Sha512);

        Assert.NotNull(users.Authenticate("old", "pwmd5"));
        Assert.Null(users.Authenticate("old", "pw512"));
        Assert.NotNull(users.Authenticate("strong", "pw512"));
        Assert.Equal(PasswordHash.Sha512, users.Authenticate("strong", "pw512")!.HashingAlgorithm);

        // A new password is hashed with the default again.
        users.AddOrUpdate("old", "fresh", []);
        Assert.True(users.TryGet("old", out var renewed));
        Assert.Equal(PasswordHash.Sha256, renewed.HashingAlgorithm);
        Assert.NotNull(users.Authenticate("old", "fresh"));
    }
}
