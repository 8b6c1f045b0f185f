using Broker.DataModel.Encoding;
using Broker.Engine.Errors;
using Broker.Engine.Queues;

namespace Broker.Engine.Arguments;

/// <summary>
/// What a RabbitMQ 4.3 node refuses at queue.declare that 3.13 accepts, checked where 4.3 checks it:
/// after the arguments' values (rabbit_amqqueue:check_declare_arguments) and before the queue type's own
/// checks (rabbit_queue_type:declare), so a non-durable quorum queue gets 4.3's 541, not 3.13's 406.
/// </summary>
internal static class CompatibilityChecks
{
    public static EngineError CheckDeclare(CompatibilityProfile profile, in QueueDeclaration declaration, QueueType type, string resource)
    {
        // rabbit_amqqueue:check_queue_version in 4.3 accepts only 2 (CQv1 was removed).
        if (!profile.PermitsClassicQueueVersion1 && type.Name == "classic"
            && declaration.Arguments.TryGetValue("x-queue-version", out var version) && FieldValues.AsInteger(version) is { } number and not 2)
        {
            return EngineError.PreconditionFailed($"invalid arg 'x-queue-version' for {resource}: \"unsupported queue version '{number}'\"");
        }

        // rabbit_amqqueue:is_queue_args_combination_permitted; a protocol_error internal_error, so 541
        // closes the connection.
        if (!profile.PermitsTransientNonExclusiveQueues && !declaration.Durable && !declaration.Exclusive)
        {
            return new EngineError(ErrorKind.InternalError, CompatibilityProfile.DeniedFeatureExplanation("transient_nonexcl_queues"));
        }

        // rabbit_classic_queue:validate_arguments, only for classic queues (the others refuse the argument anyway).
        if (!profile.PermitsQueueMasterLocator && type.Name == "classic" && declaration.Arguments.ContainsKey("x-queue-master-locator"))
        {
            return new EngineError(ErrorKind.InternalError, CompatibilityProfile.DeniedFeatureExplanation("queue_master_locator"));
        }

        return EngineError.None;
    }
}
