using Broker.DataModel.Encoding;
using TextEncoding = System.Text.Encoding;

namespace Broker.Server.Connections;

/// <summary>Reads credentials from connection.start-ok responses: PLAIN and AMQPLAIN, as RabbitMQ accepts.</summary>
internal static class SaslMechanisms
{
    public const string Offered = "AMQPLAIN PLAIN";

    public static bool IsSupported(string mechanism) => mechanism is "PLAIN" or "AMQPLAIN";

    /// <summary>False when the response is malformed for the mechanism.</summary>
    public static bool TryReadCredentials(string mechanism, ReadOnlySpan<byte> response, out string user, out string password)
    {
        user = password = string.Empty;
        if (mechanism == "PLAIN")
        {
            // authzid NUL authcid NUL password; the authzid is ignored, as RabbitMQ does.
            var first = response.IndexOf((byte)0);
            if (first < 0)
            {
                return false;
            }

            var rest = response[(first + 1)..];
            var second = rest.IndexOf((byte)0);
            if (second < 0)
            {
                return false;
            }

            user = TextEncoding.UTF8.GetString(rest[..second]);
            password = TextEncoding.UTF8.GetString(rest[(second + 1)..]);
            return true;
        }

        if (mechanism == "AMQPLAIN")
        {
            FieldTable table;
            try
            {
                table = FieldTableCodec.DecodeTableBody(response);
            }
            catch (Broker.DataModel.AmqpProtocolException)
            {
                return false;
            }

            if (table.GetString("LOGIN") is not { } login || table.GetString("PASSWORD") is not { } secret)
            {
                return false;
            }

            user = login;
            password = secret;
            return true;
        }

        return false;
    }
}
