using System.Security.Cryptography;
using System.Text;

namespace Broker.Engine.Security;

/// <summary>
/// RabbitMQ's password hashing (rabbit_password): base64 of a 4-byte salt followed by
/// HASH(salt + UTF-8 password). New passwords use its default, SHA-256; hashes made with its other two
/// modules (SHA-512, MD5) verify too, so definitions exported from any RabbitMQ import as they are.
/// </summary>
public static class PasswordHash
{
    public const string Sha256 = "rabbit_password_hashing_sha256";
    public const string Sha512 = "rabbit_password_hashing_sha512";
    public const string Md5 = "rabbit_password_hashing_md5";

    private const int SaltLength = 4;

    /// <summary>The hashing modules a stored hash may name.</summary>
    public static IReadOnlyList<string> Algorithms { get; } = [Sha256, Sha512, Md5];

    public static bool IsSupported(string algorithm) => Algorithms.Contains(algorithm);

    public static string Compute(string password)
    {
        Span<byte> salt = stackalloc byte[SaltLength];
        RandomNumberGenerator.Fill(salt);
        return Compute(password, salt, Sha256);
    }

    public static bool Verify(string password, string hash) => Verify(password, hash, Sha256);

    /// <summary>Whether <paramref name="hash"/>, made with <paramref name="algorithm"/>, is of <paramref name="password"/>.</summary>
    public static bool Verify(string password, string hash, string algorithm)
    {
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(hash);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!IsSupported(algorithm) || decoded.Length != SaltLength + DigestLength(algorithm))
        {
            return false;
        }

        var expected = Convert.FromBase64String(Compute(password, decoded.AsSpan(0, SaltLength), algorithm));
        return CryptographicOperations.FixedTimeEquals(expected, decoded);
    }

    private static int DigestLength(string algorithm) => algorithm switch
    {
        Sha512 => 64,
        Md5 => 16,
        _ => 32,
    };

    private static string Compute(string password, ReadOnlySpan<byte> salt, string algorithm)
    {
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var input = new byte[salt.Length + passwordBytes.Length];
        salt.CopyTo(input);
        passwordBytes.CopyTo(input, salt.Length);
        var output = new byte[salt.Length + DigestLength(algorithm)];
        salt.CopyTo(output);
        var digest = output.AsSpan(salt.Length);
        switch (algorithm)
        {
            case Sha512:
                SHA512.HashData(input, digest);
                break;
            case Md5:
                // RabbitMQ's rabbit_password_hashing_md5, kept for hashes made by old brokers; never for new ones.
#pragma warning disable CA5351
                MD5.HashData(input, digest);
#pragma warning restore CA5351
                break;
            default:
                SHA256.HashData(input, digest);
                break;
        }

        return Convert.ToBase64String(output);
    }
}
