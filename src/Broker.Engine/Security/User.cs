namespace Broker.Engine.Security;

public sealed class User
{
    public User(string name, string passwordHash, IReadOnlyList<string> tags)
    {
        Name = name;
        PasswordHash = passwordHash;
        Tags = tags;
    }

    public string Name { get; }

    public string PasswordHash { get; set; }

    /// <summary>RabbitMQ user tags: administrator, monitoring, management, impersonator, ...</summary>
    public IReadOnlyList<string> Tags { get; set; }

    public bool HasTag(string tag) => Tags.Contains(tag);
}
