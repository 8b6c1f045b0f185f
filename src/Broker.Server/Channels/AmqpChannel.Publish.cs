using System.Buffers;
using Broker.DataModel;
using Broker.DataModel.Content;
using Broker.Engine.Exchanges;
using Broker.Engine.Messages;
using Broker.Protocol;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Server.Errors;
using TextEncoding = System.Text.Encoding;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    // The last exchange published to, so a steady stream of publishes skips the name lookup.
    private byte[] _cachedExchangeName = [];
    private Exchange? _cachedExchange;

    private void HandleBasicPublish(ReadOnlySpan<byte> arguments)
    {
        var publish = BasicPublishArgs.Read(arguments);
        if (publish.Immediate)
        {
            throw AmqpException.NotImplemented("immediate=true", MethodIds.BasicPublish);
        }

        _assembler.BeginPublish(publish.Exchange, publish.RoutingKey, publish.Mandatory);
        _connection.OnPublish();
    }

    private void HandleContentHeader(in ReadOnlySequence<byte> payload)
    {
        Span<byte> scratch = stackalloc byte[payload.IsSingleSegment || payload.Length > 4096 ? 0 : (int)payload.Length];
        var span = payload.IsSingleSegment ? payload.FirstSpan : Contiguous(payload, scratch);
        var header = ContentHeader.Parse(span);
        if (header.ClassId != 60)
        {
            throw AmqpException.UnexpectedFrame($"expected content header for class 60, got one for class {header.ClassId} instead", MethodIds.BasicPublish);
        }

        bool persistent;
        byte priority;
        try
        {
            var properties = MessageProperties.Parse(header.Properties);
            persistent = properties.IsPersistent;
            priority = properties.Priority;
        }
        catch (AmqpProtocolException)
        {
            throw AmqpException.FrameError("cannot decode content header properties", MethodIds.BasicPublish);
        }

        var maxSize = _connection.Engine.Options.MaxMessageSize;
        if (header.BodySize > (ulong)maxSize)
        {
            throw AmqpException.PreconditionFailed($"message size {header.BodySize} is larger than configured max size {maxSize}", MethodIds.BasicPublish);
        }

        var message = _connection.Engine.Messages.Rent(
            _assembler.Exchange, _assembler.RoutingKey, header.Properties, (int)header.BodySize, persistent, priority);
        _assembler.BeginBody(message);
        if (header.BodySize == 0)
        {
            CompletePublish();
        }
    }

    private void HandleContentBody(in ReadOnlySequence<byte> payload)
    {
        var message = _assembler.Message!;
        if (!message.AppendBody(payload))
        {
            throw AmqpException.FrameError("content body frame exceeds the size announced in the content header", MethodIds.BasicPublish);
        }

        if (message.IsComplete)
        {
            CompletePublish();
        }
    }

    private void CompletePublish()
    {
        var mandatory = _assembler.Mandatory;
        var message = _assembler.TakeMessage();
        try
        {
            Publish(ref message, mandatory);
        }
        finally
        {
            // The publisher's reference: every queue that took the message holds its own.
            message.Release();
        }
    }

    private void Publish(ref Message message, bool mandatory)
    {
        var exchange = ResolveExchange(message.Exchange);
        if (exchange.Internal)
        {
            throw AmqpException.AccessRefused($"cannot publish to internal {exchange.DisplayName}", MethodIds.BasicPublish);
        }

        CheckWrite(exchange.Name, isQueue: false, MethodIds.BasicPublish);
        Stats.OnPublished();
        var properties = MessageProperties.Parse(message.Properties);
        message.TimeToLive = ValidateProperties(properties);
        if (properties.HasReplyTo && properties.ReplyTo.SequenceEqual("amq.rabbitmq.reply-to"u8))
        {
            message = RewriteReplyTo(message);
            properties = MessageProperties.Parse(message.Properties);
        }

        ulong confirmSequence = 0;
        if (_confirms is not null)
        {
            lock (_lock)
            {
                confirmSequence = _confirms.Next();
                _confirms.AddUnconfirmed(confirmSequence);
            }
        }

        if (ReferenceEquals(exchange, _virtualHost.DefaultExchange) && IsReplyAddress(message.RoutingKey))
        {
            // A direct reply: no queue, straight to the requesting channel (or nowhere). RabbitMQ
            // traces the publish as reaching no queue, and not the delivery.
            if (_virtualHost.Tracing)
            {
                _routeTargets.Clear();
                _virtualHost.TracePublish(_session.TraceOrigin, message, _routeTargets.Queues);
            }

            if (!DeliverDirectReply(message) && mandatory)
            {
                WriteReturn(message);
            }

            if (_confirms is not null)
            {
                Confirmed(confirmSequence, rejected: false);
            }

            return;
        }

        if (_transaction is not null)
        {
            // Routed now, enqueued at commit (rabbit_channel routes a transactional publish at once too).
            _virtualHost.Route(exchange, ref message, properties.HeadersBody, _routeTargets, _session.TraceOrigin);
            if (_routeTargets.InvalidDelay)
            {
                throw InvalidDelay();
            }

            _transaction.AddPublish(message, _routeTargets, mandatory);
            return;
        }

        var outcome = _virtualHost.Publish(exchange, ref message, properties.HeadersBody, _routeTargets, Batch, _confirms is null ? null : this, confirmSequence, _session.TraceOrigin);
        if (outcome.InvalidDelay)
        {
            throw InvalidDelay();
        }

        if (!outcome.Routed)
        {
            Stats.OnUnroutable(returned: mandatory);
            if (mandatory)
            {
                WriteReturn(message);
            }
        }

        // Confirmed now unless a durable queue is still writing it; then the store's writer confirms.
        if (_confirms is not null && !outcome.PersistPending)
        {
            Confirmed(confirmSequence, outcome.Rejected);
        }
    }

    /// <summary>
    /// An x-delay string that is not an integer: the plugin's binary_to_integer crashes the channel and
    /// RabbitMQ closes the connection with 541 INTERNAL_ERROR (rabbit_binary_generator:map_exception).
    /// </summary>
    private static AmqpException InvalidDelay() => AmqpException.ChannelCrashed();

    private void Confirmed(ulong confirmSequence, bool rejected)
    {
        lock (_lock)
        {
            if (_confirms is not { } confirms)
            {
                return;
            }

            if (rejected)
            {
                confirms.Reject(confirmSequence);
            }
            else
            {
                confirms.Confirm(confirmSequence);
                Stats.OnConfirmed(1);
            }
        }

        _connection.AddPendingConfirms(this);
    }

    /// <summary>basic.return 312 NO_ROUTE: a mandatory message no queue took goes back to its publisher.</summary>
    private void WriteReturn(Message message)
    {
        lock (_output.SyncRoot)
        {
            if (!_output.IsCompleted)
            {
                ContentFrames.WriteBasicReturn(_output.Writer, Number, ReplyCodes.NoRoute, "NO_ROUTE"u8, message.Exchange, message.RoutingKey);
                ContentFrames.WriteContent(_output.Writer, Number, message.Properties, message.Body, _connection.FrameMax);
            }
        }

        Batch.Add(_output);
    }

    private Exchange ResolveExchange(ReadOnlySpan<byte> name)
    {
        var cached = _cachedExchange;
        if (cached is not null && !cached.IsDeleted && name.SequenceEqual(_cachedExchangeName))
        {
            return cached;
        }

        var text = TextEncoding.UTF8.GetString(name);
        if (!_virtualHost.TryGetExchange(text, out var exchange))
        {
            throw AmqpException.From(_virtualHost.NotFoundExchange(text), MethodIds.BasicPublish);
        }

        _cachedExchange = exchange;
        _cachedExchangeName = name.ToArray();
        return exchange;
    }

    /// <summary>
    /// RabbitMQ's publish-time checks: user-id must be the login user, expiration a non-negative
    /// integer. Returns the expiration in milliseconds, or -1.
    /// </summary>
    private long ValidateProperties(in MessageProperties properties)
    {
        if (properties.HasUserId && !_connection.IsUser(properties.UserId))
        {
            throw AmqpException.PreconditionFailed(
                $"user_id property set to '{TextEncoding.UTF8.GetString(properties.UserId)}' but authenticated user was '{_connection.UserName}'",
                MethodIds.BasicPublish);
        }

        if (properties.HasExpiration)
        {
            var text = TextEncoding.UTF8.GetString(properties.Expiration);
            if (!ExpirationProperty.TryParse(text, out var milliseconds, out var reason))
            {
                throw AmqpException.PreconditionFailed(ExpirationProperty.ErrorText(text, reason), MethodIds.BasicPublish);
            }

            return milliseconds;
        }

        return -1;
    }

    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> payload, Span<byte> scratch)
    {
        if (scratch.Length < payload.Length)
        {
            scratch = new byte[payload.Length];
        }

        payload.CopyTo(scratch);
        return scratch[..(int)payload.Length];
    }
}
