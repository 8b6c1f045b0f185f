namespace Broker.IntegrationTests.Helpers;

/// <summary>The waits the suite uses: generous for things that must happen, short for things that must not.</summary>
public static class Wait
{
    /// <summary>How long to wait for an expected delivery, close or confirm.</summary>
    public static readonly TimeSpan Delivery = TimeSpan.FromSeconds(10);

    /// <summary>How long to watch for something that must not arrive.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
}
