using System.Collections.Concurrent;

namespace Broker.Engine.Security;

/// <summary>Users and their per-vhost permissions.</summary>
public sealed class UserStore
{
    private readonly ConcurrentDictionary<string, User> _users = new();
    private readonly ConcurrentDictionary<(string User, string VirtualHost), Permissions> _permissions = new();

    public ICollection<User> Users => _users.Values;

    public User AddOrUpdate(string name, string password, IReadOnlyList<string> tags)
    {
        var user = new User(name, PasswordHash.Compute(password), tags);
        _users[name] = user;
        return user;
    }

    /// <summary>Adds a user with an already hashed password (restored definitions, imports).</summary>
    public User Restore(string name, string passwordHash, IReadOnlyList<string> tags)
    {
        var user = new User(name, passwordHash, tags);
        _users[name] = user;
        return user;
    }

    public bool Remove(string name)
    {
        foreach (var key in _permissions.Keys)
        {
            if (key.User == name)
            {
                _permissions.TryRemove(key, out _);
            }
        }

        return _users.TryRemove(name, out _);
    }

    public bool TryGet(string name, out User user) => _users.TryGetValue(name, out user!);

    /// <summary>The user if the name and password match, else null. A blank password never matches (as in RabbitMQ).</summary>
    public User? Authenticate(string name, string password) =>
        password.Length > 0 && _users.TryGetValue(name, out var user) && PasswordHash.Verify(password, user.PasswordHash) ? user : null;

    public void SetPermissions(string user, string virtualHost, Permissions permissions) => _permissions[(user, virtualHost)] = permissions;

    /// <summary>Every user's permissions on a vhost that is gone.</summary>
    public void ClearPermissionsOn(string virtualHost)
    {
        foreach (var key in _permissions.Keys)
        {
            if (key.VirtualHost == virtualHost)
            {
                _permissions.TryRemove(key, out _);
            }
        }
    }

    public IEnumerable<(string User, string VirtualHost, Permissions Permissions)> AllPermissions()
    {
        foreach (var pair in _permissions)
        {
            yield return (pair.Key.User, pair.Key.VirtualHost, pair.Value);
        }
    }

    public void ClearPermissions(string user, string virtualHost) => _permissions.TryRemove((user, virtualHost), out _);

    public Permissions? GetPermissions(string user, string virtualHost) =>
        _permissions.TryGetValue((user, virtualHost), out var permissions) ? permissions : null;
}
