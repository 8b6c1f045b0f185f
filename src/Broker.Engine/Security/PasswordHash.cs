using System.Security.Cryptography;
using System.Text;

namespace Broker.Engine.Security;

/// <summary>
/// RabbitMQ's default password hashing (rabbit_password_hashing_sha256): base64 of a 4-byte salt
/// followed by SHA-256(salt + UTF-8 password), so definitions exported from RabbitMQ import as they are.
/// </summary>
public static class PasswordHash
{
    public static string Compute(string password)
    {
        Span<byte> salt = stackalloc byte[4];
        RandomNumberGenerator.Fill(salt);
        return Compute(password, salt);
    }

    public static bool Verify(string password, string hash)
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

        if (decoded.Length != 4 + 32)
        {
            return false;
        }

        var expected = Convert.FromBase64String(Compute(password, decoded.AsSpan(0, 4)));
        return CryptographicOperations.FixedTimeEquals(expected, decoded);
    }

    private static string Compute(string password, ReadOnlySpan<byte> salt)
    {
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var input = new byte[salt.Length + passwordBytes.Length];
        salt.CopyTo(input);
        passwordBytes.CopyTo(input, salt.Length);
        var output = new byte[salt.Length + 32];
        salt.CopyTo(output);
        SHA256.HashData(input, output.AsSpan(salt.Length));
        return Convert.ToBase64String(output);
    }
}
