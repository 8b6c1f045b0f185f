using Broker.Engine.Limits;

namespace Broker.Engine.Security;

public sealed class User
{
    public User(string name, string passwordHash, IReadOnlyList<string> tags, string hashingAlgorithm = Security.PasswordHash.Sha256)
    {
        Name = name;
        PasswordHash = passwordHash;
        Tags = tags;
        HashingAlgorithm = hashingAlgorithm;
    }

    public string Name { get; }

    public string PasswordHash { get; set; }

    /// <summary>RabbitMQ's name of the module that made <see cref="PasswordHash"/> (rabbit_password_hashing_sha256, ...).</summary>
    public string HashingAlgorithm { get; set; }

    /// <summary>RabbitMQ user tags: administrator, monitoring, management, impersonator, ...</summary>
    public IReadOnlyList<string> Tags { get; set; }

    /// <summary>max-connections and max-channels; stored and reported, not enforced yet.</summary>
    public ResourceLimits Limits { get; internal set; } = ResourceLimits.None;

    public bool HasTag(string tag) => Tags.Contains(tag);
}
