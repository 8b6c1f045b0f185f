namespace Broker.Engine;

/// <summary>
/// Which RabbitMQ release's client-visible defaults the broker reproduces where 3.13 and 4.x differ
/// (--compat 3.13 or --compat 4). Immutable and shared: code that behaves differently reads one field.
/// "4" is the newest 4.x line (4.3): its defaults are what an upgrade lands on, and 4.3 is where the
/// deprecated features below went from permitted to denied by default (their phase in
/// deps/rabbit/src/rabbit_amqqueue.erl, rabbit_channel.erl and rabbit_queue_location.erl at v4.3.0;
/// 4.0 to 4.2 only logged a warning).
/// </summary>
public sealed class CompatibilityProfile
{
    private CompatibilityProfile(string name) => Name = name;

    /// <summary>RabbitMQ 3.13's behaviour (and 3.10's, which the test suite checks against): the default.</summary>
    public static CompatibilityProfile RabbitMq313 { get; } = new("3.13")
    {
        RabbitMqVersion = "3.13.7",
        PermitsTransientNonExclusiveQueues = true,
        PermitsGlobalQos = true,
        PermitsQueueMasterLocator = true,
        PermitsClassicQueueVersion1 = true,
        DefaultMaxMessageSize = 128L * 1024 * 1024,
        DefaultQuorumDeliveryLimit = -1,
        NegativeDeliveryLimitIsNone = false,
        KnowsMirroringPolicyKeys = true,
        MinFrameMax = 4096,
    };

    /// <summary>RabbitMQ 4.x's behaviour, as of 4.3.</summary>
    public static CompatibilityProfile RabbitMq4 { get; } = new("4")
    {
        RabbitMqVersion = "4.3.5",

        // deprecated feature transient_nonexcl_queues, denied_by_default since 4.3.0.
        PermitsTransientNonExclusiveQueues = false,

        // deprecated feature global_qos, denied_by_default since 4.3.0: rabbit_channel handles
        // basic.qos global=true as global=false.
        PermitsGlobalQos = false,

        // deprecated feature queue_master_locator, denied_by_default since 4.3.0 (rabbit_classic_queue:validate_arguments).
        PermitsQueueMasterLocator = false,

        // CQv1 removed in 4.3.0 (release notes; rabbit_amqqueue:check_queue_version accepts only 2).
        PermitsClassicQueueVersion1 = false,

        // 4.0.0 release notes, "Default Maximum Message Size Reduced to 16 MiB".
        DefaultMaxMessageSize = 16L * 1024 * 1024,

        // 4.0.0 release notes, "Quorum Queues Now Have a Default Redelivery Limit" (rabbit_quorum_queue's
        // DEFAULT_DELIVERY_LIMIT); a negative x-delivery-limit turns it off.
        DefaultQuorumDeliveryLimit = 20,

        // rabbit_fifo:init from 4.0.0 reads a negative delivery_limit as none; 3.13.7's compares the
        // delivery count with it as it is, so -1 drops (or dead-letters) a message at its first return.
        NegativeDeliveryLimitIsNone = true,

        // Classic queue mirroring was removed in 4.0: no policy validator registers the ha-* keys any
        // more (rabbit_mirror_queue_misc is gone), so rabbit_policy calls them not recognised.
        KnowsMirroringPolicyKeys = false,

        // 4.1.0 release notes, "Initial AMQP 0-9-1 Maximum Frame Size": FRAME_MIN_SIZE went from 4096 to 8192.
        MinFrameMax = 8192,
    };

    /// <summary>"3.13" or "4", as --compat takes it.</summary>
    public string Name { get; }

    /// <summary>The RabbitMQ version reported in connection.start's "version" server property by default.</summary>
    public string RabbitMqVersion { get; private init; } = "";

    /// <summary>False: a queue neither durable nor exclusive is refused with 541.</summary>
    public bool PermitsTransientNonExclusiveQueues { get; private init; }

    /// <summary>False: basic.qos global=true is taken as global=false (a per-consumer limit).</summary>
    public bool PermitsGlobalQos { get; private init; }

    /// <summary>False: a classic queue declared with x-queue-master-locator is refused with 541.</summary>
    public bool PermitsQueueMasterLocator { get; private init; }

    /// <summary>False: x-queue-version 1 is refused with 406.</summary>
    public bool PermitsClassicQueueVersion1 { get; private init; }

    /// <summary>max_message_size when none is configured.</summary>
    public long DefaultMaxMessageSize { get; private init; }

    /// <summary>A quorum queue's delivery limit when neither argument nor policy sets one; -1 for none.</summary>
    public long DefaultQuorumDeliveryLimit { get; private init; }

    /// <summary>True: a negative x-delivery-limit is no limit; false: any return exceeds it (3.13).</summary>
    public bool NegativeDeliveryLimitIsNone { get; private init; }

    /// <summary>True: policies may hold the ha-* mirroring keys (accepted, without effect on one node).</summary>
    public bool KnowsMirroringPolicyKeys { get; private init; }

    /// <summary>The smallest frame_max a client may ask for, and the frame size allowed before connection.tune-ok.</summary>
    public uint MinFrameMax { get; private init; }

    /// <summary>Reads "3.13" or "4" (4.0 to 4.2 are not offered: they differ from 4.3 in what they deny).</summary>
    public static bool TryParse(string value, out CompatibilityProfile profile)
    {
        profile = value.Trim() switch
        {
            "3.13" => RabbitMq313,
            "4" => RabbitMq4,
            _ => null!,
        };

        return profile is not null;
    }

    /// <summary>
    /// The explanation of a 541 for a deprecated feature that is denied by default, as a 4.3 node words
    /// it (rabbit_deprecated_features:generate_warnings1) and cuts it: rabbit_binary_generator formats the
    /// reply text with chars_limit 255, which ends it in "..." (a client sees "...\nTo...").
    /// </summary>
    public static string DeniedFeatureExplanation(string feature)
    {
        var text = $"Feature `{feature}` is deprecated.\n"
            + "By default, this feature is not permitted anymore.\n"
            + "The feature will be removed from a future major RabbitMQ version, regardless of the configuration; actual version to be determined.\n"
            + "To continue using this feature when it is not permitted by default, set the following parameter in your configuration:\n"
            + $"    \"deprecated_features.permit.{feature} = true\"";

        // The whole reply text is "INTERNAL_ERROR - " and this; at most 255 characters with the dots.
        const int room = 255 - 17;
        return text.Length <= room ? text : string.Concat(text.AsSpan(0, room - 3), "...");
    }

    public override string ToString() => Name;
}
