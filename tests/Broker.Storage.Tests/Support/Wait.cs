using System.Diagnostics;

namespace Broker.Storage.Tests.Support;

/// <summary>Polling with a generous timeout: tests wait for the writer thread, never for a fixed time.</summary>
internal static class Wait
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static void Until(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Timeout)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            Thread.Sleep(2);
        }
    }

    public static void For(Task task, string what)
    {
        if (!task.Wait(Timeout))
        {
            Assert.Fail($"timed out waiting for {what}");
        }
    }
}
