using Broker.DataModel.Content;
using Broker.Engine.Messages;
using Broker.Engine.Routing;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

/// <summary>Direct reply-to (RabbitMQ's direct-reply-to.md): replies go straight to the requesting channel.</summary>
internal sealed partial class AmqpChannel
{
    // Read loop only; the session keeps the tag replies are delivered with, under its own lock.
    private string? _replyConsumerTag;
    private string? _replyAddress;

    private void ConsumeDirectReplies(BasicConsume consume)
    {
        if (!consume.NoAck)
        {
            throw AmqpException.PreconditionFailed("reply consumer cannot acknowledge", MethodIds.BasicConsume);
        }

        var tag = consume.ConsumerTag.Length > 0 ? consume.ConsumerTag : VirtualHost.GenerateName("amq.ctag-");
        if (_session.HasConsumer(tag) || _replyConsumerTag == tag)
        {
            throw AmqpException.NotAllowed($"attempt to reuse consumer tag '{tag}'", MethodIds.BasicConsume);
        }

        if (_replyConsumerTag is not null)
        {
            throw AmqpException.PreconditionFailed("reply consumer already set", MethodIds.BasicConsume);
        }

        _replyConsumerTag = tag;
        _session.SetUntrackedConsumer(tag);
        _replyAddress = _connection.DirectReplies.Register(this);
        if (!consume.Nowait)
        {
            Reply(new BasicConsumeOk(tag));
        }
    }

    /// <summary>basic.cancel of the reply consumer; false when the tag is another consumer's.</summary>
    private bool CancelDirectReplies(string tag)
    {
        if (_replyConsumerTag != tag)
        {
            return false;
        }

        // From here no reply is delivered, so none can follow cancel-ok.
        _replyConsumerTag = null;
        _session.SetUntrackedConsumer(null);
        StopDirectReplies();
        return true;
    }

    private void StopDirectReplies()
    {
        if (_replyAddress is { } address)
        {
            _connection.DirectReplies.Unregister(address);
            _replyAddress = null;
        }
    }

    /// <summary>A request asking for a direct reply: its reply-to becomes this channel's reply address.</summary>
    private Message RewriteReplyTo(Message message)
    {
        if (_replyAddress is not { } address)
        {
            throw AmqpException.PreconditionFailed("fast reply consumer does not exist", MethodIds.BasicPublish);
        }

        var properties = BasicProperties.Read(message.Properties);
        properties.ReplyTo = address;
        var copy = _connection.Engine.Messages.Rent(message.Exchange, message.RoutingKey, properties.Encode(), message.BodyLength, message.IsPersistent, message.Priority);
        copy.AppendBody(message.Body);
        copy.TimeToLive = message.TimeToLive;
        message.Release();
        return copy;
    }

    /// <summary>A reply published through the default exchange to a reply address: straight to that channel.</summary>
    private static bool IsReplyAddress(ReadOnlySpan<byte> routingKey) => routingKey.StartsWith(DirectReplyRegistry.AddressPrefixBytes);

    private bool DeliverDirectReply(Message message)
    {
        Span<char> keyBuffer = stackalloc char[RoutingKey.MaxChars];
        var routingKey = RoutingKey.Decode(message.RoutingKey, keyBuffer);
        return _connection.DirectReplies.TryGet(routingKey.Chars, out var channel) && channel.WriteDirectReply(message, Batch);
    }

    /// <summary>Writes a reply to this channel's reply consumer (no-ack: nothing to track); false when there is none.</summary>
    private bool WriteDirectReply(Message message, Broker.Engine.Delivery.FlushBatch batch) =>
        _session.TryDeliverUntracked(message, batch);

    private bool IsDirectReplyQueueName(string name) =>
        name == DirectReplyRegistry.PseudoQueue || (name.StartsWith(DirectReplyRegistry.AddressPrefix, StringComparison.Ordinal) && _connection.DirectReplies.Exists(name));
}
