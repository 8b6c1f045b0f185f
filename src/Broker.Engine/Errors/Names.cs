namespace Broker.Engine.Errors;

/// <summary>How RabbitMQ names resources in its reply texts.</summary>
public static class Names
{
    public static string Queue(string name, string vhost) => $"queue '{name}' in vhost '{vhost}'";

    public static string Exchange(string name, string vhost) => $"exchange '{name}' in vhost '{vhost}'";
}
