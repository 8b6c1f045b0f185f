namespace Broker.Configuration;

/// <summary>
/// <c>--data-dir</c> may list directories separated by the path separator (':' on Linux): the first
/// that is a mount point (a volume) is used, else the last. The image lists /data, the path of its
/// earlier versions, before RabbitMQ's /var/lib/rabbitmq, and creates both (so a named volume takes
/// their owner): a volume mounted at either is where the data goes, /data if both are.
/// </summary>
internal static class DataDirectoryChoice
{
    public static string Choose(string value)
    {
        var candidates = value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (candidates.Length == 0)
        {
            throw new ArgumentException($"--data-dir: '{value}' names no directory");
        }

        if (candidates.Length == 1)
        {
            return candidates[0];
        }

        var mountPoints = ReadMountPoints();
        return candidates.FirstOrDefault(candidate => mountPoints.Contains(Normalize(candidate))) ?? candidates[^1];
    }

    /// <summary>The mount points of this process's mount namespace (the fifth field of /proc/self/mountinfo); none elsewhere.</summary>
    private static HashSet<string> ReadMountPoints()
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 4)
                {
                    // Spaces and other special characters are octal escapes (\040).
                    mountPoints.Add(Normalize(System.Text.RegularExpressions.Regex.Unescape(fields[4])));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or no /proc: no volumes to prefer.
        }

        return mountPoints;
    }

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd(Path.DirectorySeparatorChar) : full;
    }
}
