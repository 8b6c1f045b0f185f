using System.Collections.Concurrent;
using Broker.Engine.Errors;
using Broker.Engine.Limits;
using Broker.Engine.Stores;

namespace Broker.Engine.Security;

/// <summary>
/// Users, their per-vhost permissions, topic permissions and limits. Every change is recorded in the
/// engine's definitions store, so what an operator changes survives a restart; recovery restores
/// through the same methods before the store is attached, which records nothing.
/// Reads take no lock; changes take <c>_lock</c> (a leaf apart from the definitions store's own) so
/// they are recorded in the order they happen.
/// </summary>
public sealed class UserStore
{
    private readonly ConcurrentDictionary<string, User> _users = new();
    private readonly ConcurrentDictionary<(string User, string VirtualHost), Permissions> _permissions = new();
    private readonly ConcurrentDictionary<(string User, string VirtualHost, string Exchange), TopicPermissions> _topicPermissions = new();
    private readonly Func<IDefinitionStore> _definitions;
    private readonly Lock _lock = new();

    /// <summary>A store that records nothing (engine tests, tools).</summary>
    public UserStore()
        : this(static () => NoDefinitions)
    {
    }

    /// <param name="definitions">Where changes are recorded, asked at each change (the engine's, once attached).</param>
    public UserStore(Func<IDefinitionStore> definitions) => _definitions = definitions;

    private static IDefinitionStore NoDefinitions { get; } = new NoDefinitionStore();

    public ICollection<User> Users => _users.Values;

    public User AddOrUpdate(string name, string password, IReadOnlyList<string> tags) =>
        Restore(name, PasswordHash.Compute(password), tags);

    /// <summary>
    /// Adds or replaces a user with an already hashed password (recovery, imports, the management
    /// API's password_hash). A replaced user keeps its limits.
    /// </summary>
    public User Restore(string name, string passwordHash, IReadOnlyList<string> tags, string hashingAlgorithm = PasswordHash.Sha256)
    {
        var user = new User(name, passwordHash, tags, hashingAlgorithm);
        lock (_lock)
        {
            if (_users.TryGetValue(name, out var existing))
            {
                user.Limits = existing.Limits;
            }

            _users[name] = user;
            _definitions().Persist(new UserSaved(name, passwordHash, tags, hashingAlgorithm));
        }

        return user;
    }

    /// <summary>Deletes the user with its permissions and topic permissions.</summary>
    public bool Remove(string name)
    {
        lock (_lock)
        {
            foreach (var key in _permissions.Keys)
            {
                if (key.User == name)
                {
                    _permissions.TryRemove(key, out _);
                }
            }

            foreach (var key in _topicPermissions.Keys)
            {
                if (key.User == name)
                {
                    _topicPermissions.TryRemove(key, out _);
                }
            }

            if (!_users.TryRemove(name, out _))
            {
                return false;
            }

            _definitions().Persist(new UserDeleted(name));
            return true;
        }
    }

    /// <summary>
    /// Every user's permissions and topic permissions on a vhost that is gone. Records nothing: the
    /// vhost's deletion removes them from the stored definitions.
    /// </summary>
    public void ClearPermissionsOn(string virtualHost)
    {
        lock (_lock)
        {
            foreach (var key in _permissions.Keys)
            {
                if (key.VirtualHost == virtualHost)
                {
                    _permissions.TryRemove(key, out _);
                }
            }

            foreach (var key in _topicPermissions.Keys)
            {
                if (key.VirtualHost == virtualHost)
                {
                    _topicPermissions.TryRemove(key, out _);
                }
            }
        }
    }

    public bool TryGet(string name, out User user) => _users.TryGetValue(name, out user!);

    /// <summary>The user if the name and password match, else null. A blank password never matches (as in RabbitMQ).</summary>
    public User? Authenticate(string name, string password) =>
        password.Length > 0 && _users.TryGetValue(name, out var user) && PasswordHash.Verify(password, user.PasswordHash, user.HashingAlgorithm) ? user : null;

    public void SetPermissions(string user, string virtualHost, Permissions permissions)
    {
        lock (_lock)
        {
            _permissions[(user, virtualHost)] = permissions;
            _definitions().Persist(new PermissionsSet(user, virtualHost, permissions.Configure, permissions.Write, permissions.Read));
        }
    }

    public void ClearPermissions(string user, string virtualHost)
    {
        lock (_lock)
        {
            if (_permissions.TryRemove((user, virtualHost), out _))
            {
                _definitions().Persist(new PermissionsCleared(user, virtualHost));
            }
        }
    }

    /// <summary>Every user's permissions, in no particular order.</summary>
    public IEnumerable<(string User, string VirtualHost, Permissions Permissions)> AllPermissions()
    {
        foreach (var pair in _permissions)
        {
            yield return (pair.Key.User, pair.Key.VirtualHost, pair.Value);
        }
    }

    public Permissions? GetPermissions(string user, string virtualHost) =>
        _permissions.TryGetValue((user, virtualHost), out var permissions) ? permissions : null;

    /// <summary>
    /// Sets (or replaces) a user's topic permissions for one exchange of a vhost. The caller checks
    /// that the vhost exists. NotFound for an unknown user, PreconditionFailed for an expression that
    /// does not compile.
    /// </summary>
    public EngineError SetTopicPermissions(string user, string virtualHost, string exchange, string write, string read)
    {
        if (TopicPermissions.Invalid(write, read) is { } invalid)
        {
            return EngineError.PreconditionFailed(invalid);
        }

        lock (_lock)
        {
            if (!_users.ContainsKey(user))
            {
                return NoSuchUser(user);
            }

            _topicPermissions[(user, virtualHost, exchange)] = new TopicPermissions(user, virtualHost, exchange, write, read);
            _definitions().Persist(new TopicPermissionsSet(user, virtualHost, exchange, write, read));
            return EngineError.None;
        }
    }

    /// <summary>Clears a user's topic permissions in a vhost for one exchange, or for all when <paramref name="exchange"/> is null. False when there were none.</summary>
    public bool ClearTopicPermissions(string user, string virtualHost, string? exchange = null)
    {
        lock (_lock)
        {
            var removed = false;
            foreach (var key in _topicPermissions.Keys)
            {
                if (key.User == user && key.VirtualHost == virtualHost && (exchange is null || key.Exchange == exchange))
                {
                    removed |= _topicPermissions.TryRemove(key, out _);
                }
            }

            if (removed)
            {
                _definitions().Persist(new TopicPermissionsCleared(user, virtualHost, exchange));
            }

            return removed;
        }
    }

    /// <summary>Topic permissions, of one user and/or in one vhost when given, ordered by user, vhost and exchange.</summary>
    public IReadOnlyList<TopicPermissions> GetTopicPermissions(string? user = null, string? virtualHost = null) =>
        [.. _topicPermissions.Values
            .Where(p => (user is null || p.User == user) && (virtualHost is null || p.VirtualHost == virtualHost))
            .OrderBy(p => p.User, StringComparer.Ordinal)
            .ThenBy(p => p.VirtualHost, StringComparer.Ordinal)
            .ThenBy(p => p.Exchange, StringComparer.Ordinal)];

    /// <summary>Replaces all of a user's limits (empty clears them): max-connections, max-channels. Not enforced yet.</summary>
    public EngineError SetLimits(string user, ResourceLimits limits)
    {
        var invalid = limits.Check(ResourceLimits.UserNames, "user-limits");
        if (invalid.IsError)
        {
            return invalid;
        }

        lock (_lock)
        {
            if (!_users.TryGetValue(user, out var found))
            {
                return NoSuchUser(user);
            }

            found.Limits = limits;
            _definitions().Persist(new UserLimitsSet(user, limits));
            return EngineError.None;
        }
    }

    /// <summary>Sets one of a user's limits, keeping the others (PUT /api/user-limits/{user}/{name}).</summary>
    public EngineError SetLimit(string user, string name, long value) => ChangeLimits(user, limits => limits.With(name, value));

    /// <summary>Clears one of a user's limits, keeping the others.</summary>
    public EngineError ClearLimit(string user, string name) => ChangeLimits(user, limits => limits.Without(name));

    private EngineError ChangeLimits(string user, Func<ResourceLimits, ResourceLimits> change)
    {
        lock (_lock)
        {
            return _users.TryGetValue(user, out var found) ? SetLimits(user, change(found.Limits)) : NoSuchUser(user);
        }
    }

    private static EngineError NoSuchUser(string user) => EngineError.NotFound($"no user '{user}'");
}
