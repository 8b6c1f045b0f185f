using System.Text.RegularExpressions;

namespace Broker.Engine.Security;

/// <summary>
/// A user's rights in one vhost: three regular expressions over resource names, as in RabbitMQ
/// (configure: declare and delete; write: publish and bind to; read: consume, get, bind from).
/// As in rabbit_auth_backend_internal, an expression matches anywhere in the name and "" means
/// "^$" (no access). The usual ".*" skips the regex.
/// </summary>
public sealed class Permissions
{
    private readonly Regex? _configure;
    private readonly Regex? _write;
    private readonly Regex? _read;

    public Permissions(string configure, string write, string read)
    {
        Configure = configure;
        Write = write;
        Read = read;
        _configure = Compile(configure);
        _write = Compile(write);
        _read = Compile(read);
    }

    public static Permissions All { get; } = new(".*", ".*", ".*");

    public string Configure { get; }

    public string Write { get; }

    public string Read { get; }

    public bool CanConfigure(string resource) => Allows(_configure, Configure, resource);

    public bool CanWrite(string resource) => Allows(_write, Write, resource);

    public bool CanRead(string resource) => Allows(_read, Read, resource);

    private static bool Allows(Regex? regex, string pattern, string resource) =>
        regex is null ? pattern == ".*" : regex.IsMatch(resource);

    private static Regex? Compile(string pattern) =>
        pattern == ".*" ? null : new Regex(pattern.Length == 0 ? "^$" : pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
}
