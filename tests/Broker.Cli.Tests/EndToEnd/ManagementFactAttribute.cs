namespace Broker.Cli.Tests.EndToEnd;

/// <summary>
/// A test against a real management API: runs when BROKER_TEST_MANAGEMENT_URI names one (with its
/// credentials, e.g. http://guest:guest@127.0.0.1:15672/), is skipped otherwise. With
/// <see cref="NeedsAmqp"/> it also needs BROKER_TEST_URI, the same broker's AMQP URI.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ManagementFactAttribute : FactAttribute
{
    public ManagementFactAttribute()
    {
        if (string.IsNullOrEmpty(ManagementApi.Uri))
        {
            Skip = "set BROKER_TEST_MANAGEMENT_URI to run against a management API";
        }
    }

    public bool NeedsAmqp
    {
        get => false;
        set
        {
            if (value && Skip is null && string.IsNullOrEmpty(ManagementApi.AmqpUri))
            {
                Skip = "set BROKER_TEST_URI (the same broker's AMQP URI) to run";
            }
        }
    }
}
