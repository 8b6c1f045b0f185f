using Broker.ProcessTests.Infrastructure;
using Xunit.Abstractions;

namespace Broker.ProcessTests;

/// <summary>
/// The default user and vhost of a fresh data directory, set as with RabbitMQ's Docker image
/// (RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS, RABBITMQ_DEFAULT_VHOST), so compose files written for
/// it work unchanged; and kept across restarts.
/// </summary>
public sealed class DefaultUserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RabbitMQ_image_variables_set_the_default_user_and_vhost()
    {
        using var context = new ProcessTestContext(output, "default-user");
        await context.RunAsync(async () =>
        {
            var environment = new Dictionary<string, string>
            {
                ["RABBITMQ_DEFAULT_USER"] = "admin",
                ["RABBITMQ_DEFAULT_PASS"] = "pw",
                ["RABBITMQ_DEFAULT_VHOST"] = "dev",
            };
            var broker = await context.StartBrokerAsync(null, environment);
            await using (var admin = await Amqp.ConnectAsync(new Uri($"amqp://admin:pw@127.0.0.1:{broker.Port}/dev")))
            await using (var channel = await admin.CreateChannelAsync())
            {
                await channel.QueueDeclareAsync("work", durable: true, exclusive: false, autoDelete: false);
            }

            context.Check(await Amqp.LoginRefusedAsync(new Uri($"amqp://guest:guest@127.0.0.1:{broker.Port}/")), "guest could log in although the default user is admin");
            broker.Kill();

            // Without the variables: the data directory keeps the user and vhost it was created with.
            var restarted = await context.StartBrokerAsync();
            await using (var admin = await Amqp.ConnectAsync(new Uri($"amqp://admin:pw@127.0.0.1:{restarted.Port}/dev")))
            await using (var channel = await admin.CreateChannelAsync())
            {
                await channel.QueueDeclarePassiveAsync("work");
            }

            context.Check(await Amqp.LoginRefusedAsync(new Uri($"amqp://guest:guest@127.0.0.1:{restarted.Port}/")), "guest could log in although the default user is admin");
            await restarted.StopGracefullyAsync();
        });
    }
}
