using System.Globalization;

namespace Broker.Configuration;

/// <summary>
/// Sizes as RabbitMQ reads disk_free_limit.absolute and vm_memory_high_watermark.absolute: a number
/// of bytes with an optional unit, k/KiB/M/MiB/G/GiB/T/TiB in powers of 1024 and kB/MB/GB/TB in
/// powers of 1000 (rabbit_resource_monitor_misc:parse_information_unit), case-insensitive.
/// </summary>
internal static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        long? multiplier = text[digits..].ToLowerInvariant() switch
        {
            "" => 1,
            "k" or "kib" => 1L << 10,
            "m" or "mib" => 1L << 20,
            "g" or "gib" => 1L << 30,
            "t" or "tib" => 1L << 40,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            _ => null,
        };
        if (multiplier is not { } factor || number > long.MaxValue / factor)
        {
            return false;
        }

        bytes = number * factor;
        return true;
    }
}
