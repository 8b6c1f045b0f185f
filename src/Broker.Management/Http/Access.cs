using Broker.Engine;
using Broker.Engine.Security;

namespace Broker.Management.Http;

/// <summary>
/// What a user's tags let them do in the management API, as RabbitMQ decides it: any of management,
/// policymaker, monitoring or administrator lets a user in; monitoring sees every connection and the
/// node; policymaker changes policies and parameters of its vhosts; administrator does everything.
/// Users see and change objects only in vhosts they have permissions on (administrators' view of
/// vhost lists is still all of them).
/// </summary>
public static class Access
{
    public static bool IsManagementUser(User user) =>
        user.HasTag("management") || user.HasTag("policymaker") || user.HasTag("monitoring") || user.HasTag("administrator");

    public static bool IsAdministrator(User user) => user.HasTag("administrator");

    public static bool IsMonitor(User user) => user.HasTag("monitoring") || user.HasTag("administrator");

    public static bool IsPolicymaker(User user) => user.HasTag("policymaker") || user.HasTag("administrator");

    /// <summary>Whether the user may see a vhost's objects: it has permissions there (RabbitMQ's check, for every tag).</summary>
    public static bool CanAccess(BrokerEngine engine, User user, string virtualHost) =>
        engine.Users.GetPermissions(user.Name, virtualHost) is not null;

    /// <summary>Whether the user sees the whole broker's objects in listings (monitoring and administrators).</summary>
    public static bool SeesEverything(User user) => IsMonitor(user);
}
