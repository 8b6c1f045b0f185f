using Broker.Testing;

namespace Broker.IntegrationTests.Helpers;

/// <summary>
/// A broker behaving like RabbitMQ 4 (--compat 4): the one BROKER_TEST_URI_4 names (a real RabbitMQ 4.3,
/// to check that the profile's tests pin its behaviour), else one embedded with Compat "4".
/// </summary>
public sealed class Compat4Fixture() : BrokerFixture(UriVariable, new EmbeddedBrokerOptions { Compat = "4" })
{
    public const string UriVariable = "BROKER_TEST_URI_4";
}

/// <summary>
/// A test of RabbitMQ 4 behaviour (<see cref="Compat4Fixture"/>): skipped when BROKER_TEST_URI names a
/// broker of another release (the RabbitMQ 3.10 reference) and BROKER_TEST_URI_4 names none.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Compat4FactAttribute : FactAttribute
{
    public Compat4FactAttribute()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BROKER_TEST_URI"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Compat4Fixture.UriVariable)))
        {
            Skip = "RabbitMQ 4 behaviour: BROKER_TEST_URI names another broker (set BROKER_TEST_URI_4 to a RabbitMQ 4.3 to run it there)";
        }
    }
}
