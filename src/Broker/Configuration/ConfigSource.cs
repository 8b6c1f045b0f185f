namespace Broker.Configuration;

/// <summary>Where a setting came from, for error messages: "FILE:LINE".</summary>
internal readonly record struct ConfigSource(string File, int Line)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}" : File;
}

/// <summary>One <c>key = value</c> line of a rabbitmq.conf file.</summary>
internal sealed record ConfigEntry(string Key, string Value, ConfigSource Source);
