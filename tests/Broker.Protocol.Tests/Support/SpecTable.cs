namespace Broker.Protocol.Tests.Support;

/// <summary>
/// The methods of RabbitMQ's AMQP 0-9-1 spec (amqp-rabbitmq-0.9.1.json), copied here as data so the tests
/// check the generated code against the spec without depending on the generator. One line per method:
/// "class.method class-id method-id" then "type:name" for each argument, domains resolved to AMQP types.
/// </summary>
internal static class SpecTable
{
    public static readonly string[] Lines =
    [
        "connection.start 10 10 octet:version-major octet:version-minor table:server-properties longstr:mechanisms longstr:locales",
        "connection.start-ok 10 11 table:client-properties shortstr:mechanism longstr:response shortstr:locale",
        "connection.secure 10 20 longstr:challenge",
        "connection.secure-ok 10 21 longstr:response",
        "connection.tune 10 30 short:channel-max long:frame-max short:heartbeat",
        "connection.tune-ok 10 31 short:channel-max long:frame-max short:heartbeat",
        "connection.open 10 40 shortstr:virtual-host shortstr:capabilities bit:insist",
        "connection.open-ok 10 41 shortstr:known-hosts",
        "connection.close 10 50 short:reply-code shortstr:reply-text short:class-id short:method-id",
        "connection.close-ok 10 51",
        "connection.blocked 10 60 shortstr:reason",
        "connection.unblocked 10 61",
        "connection.update-secret 10 70 longstr:new-secret shortstr:reason",
        "connection.update-secret-ok 10 71",
        "channel.open 20 10 shortstr:out-of-band",
        "channel.open-ok 20 11 longstr:channel-id",
        "channel.flow 20 20 bit:active",
        "channel.flow-ok 20 21 bit:active",
        "channel.close 20 40 short:reply-code shortstr:reply-text short:class-id short:method-id",
        "channel.close-ok 20 41",
        "access.request 30 10 shortstr:realm bit:exclusive bit:passive bit:active bit:write bit:read",
        "access.request-ok 30 11 short:ticket",
        "exchange.declare 40 10 short:ticket shortstr:exchange shortstr:type bit:passive bit:durable bit:auto-delete bit:internal bit:nowait table:arguments",
        "exchange.declare-ok 40 11",
        "exchange.delete 40 20 short:ticket shortstr:exchange bit:if-unused bit:nowait",
        "exchange.delete-ok 40 21",
        "exchange.bind 40 30 short:ticket shortstr:destination shortstr:source shortstr:routing-key bit:nowait table:arguments",
        "exchange.bind-ok 40 31",
        "exchange.unbind 40 40 short:ticket shortstr:destination shortstr:source shortstr:routing-key bit:nowait table:arguments",
        "exchange.unbind-ok 40 51",
        "queue.declare 50 10 short:ticket shortstr:queue bit:passive bit:durable bit:exclusive bit:auto-delete bit:nowait table:arguments",
        "queue.declare-ok 50 11 shortstr:queue long:message-count long:consumer-count",
        "queue.bind 50 20 short:ticket shortstr:queue shortstr:exchange shortstr:routing-key bit:nowait table:arguments",
        "queue.bind-ok 50 21",
        "queue.purge 50 30 short:ticket shortstr:queue bit:nowait",
        "queue.purge-ok 50 31 long:message-count",
        "queue.delete 50 40 short:ticket shortstr:queue bit:if-unused bit:if-empty bit:nowait",
        "queue.delete-ok 50 41 long:message-count",
        "queue.unbind 50 50 short:ticket shortstr:queue shortstr:exchange shortstr:routing-key table:arguments",
        "queue.unbind-ok 50 51",
        "basic.qos 60 10 long:prefetch-size short:prefetch-count bit:global",
        "basic.qos-ok 60 11",
        "basic.consume 60 20 short:ticket shortstr:queue shortstr:consumer-tag bit:no-local bit:no-ack bit:exclusive bit:nowait table:arguments",
        "basic.consume-ok 60 21 shortstr:consumer-tag",
        "basic.cancel 60 30 shortstr:consumer-tag bit:nowait",
        "basic.cancel-ok 60 31 shortstr:consumer-tag",
        "basic.publish 60 40 short:ticket shortstr:exchange shortstr:routing-key bit:mandatory bit:immediate",
        "basic.return 60 50 short:reply-code shortstr:reply-text shortstr:exchange shortstr:routing-key",
        "basic.deliver 60 60 shortstr:consumer-tag longlong:delivery-tag bit:redelivered shortstr:exchange shortstr:routing-key",
        "basic.get 60 70 short:ticket shortstr:queue bit:no-ack",
        "basic.get-ok 60 71 longlong:delivery-tag bit:redelivered shortstr:exchange shortstr:routing-key long:message-count",
        "basic.get-empty 60 72 shortstr:cluster-id",
        "basic.ack 60 80 longlong:delivery-tag bit:multiple",
        "basic.reject 60 90 longlong:delivery-tag bit:requeue",
        "basic.recover-async 60 100 bit:requeue",
        "basic.recover 60 110 bit:requeue",
        "basic.recover-ok 60 111",
        "basic.nack 60 120 longlong:delivery-tag bit:multiple bit:requeue",
        "tx.select 90 10",
        "tx.select-ok 90 11",
        "tx.commit 90 20",
        "tx.commit-ok 90 21",
        "tx.rollback 90 30",
        "tx.rollback-ok 90 31",
        "confirm.select 85 10 bit:nowait",
        "confirm.select-ok 85 11",
    ];

    public static IReadOnlyList<SpecMethod> Methods { get; } = [.. Lines.Select(SpecMethod.Parse)];
}

internal sealed record SpecArgument(string Type, string Name)
{
    /// <summary>The C# property name the generator gives the argument (kebab-case to PascalCase).</summary>
    public string PascalName => SpecMethod.Pascal(Name);
}

internal sealed record SpecMethod(string Name, ushort ClassId, ushort MethodId, IReadOnlyList<SpecArgument> Arguments)
{
    public uint Id => ((uint)ClassId << 16) | MethodId;

    /// <summary>The generated struct's name: "basic.get-ok" is BasicGetOk.</summary>
    public string TypeName => string.Concat(Name.Split('.').Select(Pascal));

    public override string ToString() => Name;

    public static SpecMethod Parse(string line)
    {
        var parts = line.Split(' ');
        var arguments = parts.Skip(3).Select(p => p.Split(':')).Select(p => new SpecArgument(p[0], p[1])).ToList();
        return new SpecMethod(parts[0], ushort.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), ushort.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), arguments);
    }

    public static string Pascal(string name) => string.Concat(name.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
