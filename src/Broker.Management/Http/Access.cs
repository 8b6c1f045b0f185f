using Broker.Engine;
using Broker.Engine.Security;

namespace Broker.Management.Http;

/// <summary>
/// What a user's tags let them do in the management API, as RabbitMQ decides it: any of management,
/// policymaker, monitoring or administrator lets a user in; monitoring sees every connection and the
/// node; policymaker changes policies and parameters of its vhosts; administrator does everything.
/// Users other than administrators see and change objects only in vhosts they have permissions on.
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

    /// <summary>Whether the user sees every vhost, every connection and the node (monitoring and administrators).</summary>
    public static bool SeesEverything(User user) => IsMonitor(user);

    /// <summary>
    /// Whether a vhost's objects (queues, exchanges, bindings, consumers, policies, parameters) show to the
    /// user: administrators see every vhost's, everyone else only those of vhosts they have permissions on,
    /// monitoring or not (RabbitMQ's is_authorized_vhost and filter_vhost).
    /// </summary>
    public static bool SeesObjectsOf(BrokerEngine engine, User user, string virtualHost) =>
        IsAdministrator(user) || CanAccess(engine, user, virtualHost);
}
