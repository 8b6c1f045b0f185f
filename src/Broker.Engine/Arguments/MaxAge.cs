namespace Broker.Engine.Arguments;

/// <summary>
/// RabbitMQ's age strings (x-max-age, and interval offsets of x-stream-offset): a number and one unit
/// of Y (365 days), M (30 days), D, h, m or s, e.g. "7D" or "30m".
/// </summary>
public static class MaxAge
{
    public static bool TryParse(string? text, out long milliseconds)
    {
        milliseconds = 0;
        if (text is null || text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
        {
            return false;
        }

        long? unit = text[^1] switch
        {
            'Y' => 365L * 24 * 3600 * 1000,
            'M' => 30L * 24 * 3600 * 1000,
            'D' => 24L * 3600 * 1000,
            'h' => 3600L * 1000,
            'm' => 60L * 1000,
            's' => 1000L,
            _ => null,
        };
        if (unit is null || count > long.MaxValue / unit.Value)
        {
            return false;
        }

        milliseconds = count * unit.Value;
        return true;
    }
}
