namespace Broker.Cli.Tests.EndToEnd;

/// <summary>
/// A test against a real management API: the one BROKER_TEST_MANAGEMENT_URI names (with its
/// credentials, e.g. http://guest:guest@127.0.0.1:15672/; BROKER_TEST_URI then names the same broker's
/// AMQP URI), else an embedded broker's. With <see cref="NeedsAmqp"/> against an external API without
/// BROKER_TEST_URI, the test is skipped.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ManagementFactAttribute : FactAttribute
{
    public bool NeedsAmqp
    {
        get => false;
        set
        {
            if (value && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BROKER_TEST_MANAGEMENT_URI"))
                && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BROKER_TEST_URI")))
            {
                Skip = "set BROKER_TEST_URI (the same broker's AMQP URI) to run";
            }
        }
    }
}
