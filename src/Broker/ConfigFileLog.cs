using Broker.Configuration;

namespace Broker;

/// <summary>Which config files were read, and each unknown key once, logged before the host starts.</summary>
internal static class ConfigFileLog
{
    public static void Write(FileSettings files)
    {
        if (files.Files.Count > 0)
        {
            Serilog.Log.Information("config files read: {ConfigFiles}", files.Files);
        }

        foreach (var warning in files.Warnings)
        {
            Serilog.Log.Warning("{ConfigWarning}", warning);
        }
    }
}
