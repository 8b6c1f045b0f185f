using Microsoft.Extensions.Logging;

namespace Broker.Storage;

/// <summary>Storage log lines: failures, what recovery found and cut, what it recovered.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "storage failure on {What}")]
    public static partial void StoreFailure(ILogger logger, Exception exception, string what);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "recovery: {Message}")]
    public static partial void Recovery(ILogger logger, string message);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "store stopped after {Fsyncs} fsyncs and {Bytes} bytes written")]
    public static partial void Stopped(ILogger logger, long fsyncs, long bytes);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information,
        Message = "imported definitions from {File}: {VirtualHosts} vhosts, {Users} users, {Permissions} permissions, {Exchanges} new exchanges, {Queues} new queues, {Bindings} bindings")]
    public static partial void Imported(ILogger logger, string file, int virtualHosts, int users, int permissions, int exchanges, int queues, int bindings);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "definitions from {File}: not supported, ignored: {Ignored}")]
    public static partial void ImportIgnored(ILogger logger, string file, string ignored);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information,
        Message = "definitions from {File}: {TopicPermissions} topic permissions, {Limits} vhost and user limits, {Parameters} runtime and global parameters")]
    public static partial void ImportedSettings(ILogger logger, string file, int topicPermissions, int limits, int parameters);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "definitions from {File}: kept and exported again, but not used by this broker: {Kept}")]
    public static partial void ImportKeptUnused(ILogger logger, string file, string kept);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "definitions from {File}: skipped, as RabbitMQ does: {Skipped}")]
    public static partial void ImportSkipped(ILogger logger, string file, string skipped);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information,
        Message = "recovered {VirtualHosts} vhosts, {Users} users, {Exchanges} exchanges, {Queues} queues, {Bindings} bindings and {Messages} messages in {Milliseconds:F0} ms")]
    public static partial void Recovered(ILogger logger, int virtualHosts, int users, int exchanges, int queues, int bindings, long messages, double milliseconds);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "imported definitions from {File}: {Policies} policies, {OperatorPolicies} operator policies")]
    public static partial void ImportedPolicies(ILogger logger, string file, int policies, int operatorPolicies);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "recovery: {Policy} in vhost '{VirtualHost}' was not restored: {Reason}")]
    public static partial void PolicyNotRestored(ILogger logger, string policy, string virtualHost, string reason);
}
