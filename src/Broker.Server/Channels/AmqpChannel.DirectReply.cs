using Broker.DataModel.Content;
using Broker.Engine.Messages;
using Broker.Engine.Routing;
using Broker.Engine.VirtualHosts;
using Broker.Protocol.Methods;
using Broker.Server.Errors;
using TextEncoding = System.Text.Encoding;

namespace Broker.Server.Channels;

/// <summary>Direct reply-to (RabbitMQ's direct-reply-to.md): replies go straight to the requesting channel.</summary>
internal sealed partial class AmqpChannel
{
    private string? _replyConsumerTag;
    private byte[] _replyConsumerTagBytes = [];
    private string? _replyAddress;

    private void ConsumeDirectReplies(BasicConsume consume)
    {
        if (!consume.NoAck)
        {
            throw AmqpException.PreconditionFailed("reply consumer cannot acknowledge", MethodIds.BasicConsume);
        }

        var tag = consume.ConsumerTag.Length > 0 ? consume.ConsumerTag : VirtualHost.GenerateName("amq.ctag-");
        lock (_lock)
        {
            if (_session.HasConsumer(tag) || _replyConsumerTag == tag)
            {
                throw AmqpException.NotAllowed($"attempt to reuse consumer tag '{tag}'", MethodIds.BasicConsume);
            }

            if (_replyConsumerTag is not null)
            {
                throw AmqpException.PreconditionFailed("reply consumer already set", MethodIds.BasicConsume);
            }

            _replyConsumerTag = tag;
            _replyConsumerTagBytes = TextEncoding.UTF8.GetBytes(tag);
        }

        _replyAddress = _connection.DirectReplies.Register(this);
        if (!consume.Nowait)
        {
            Reply(new BasicConsumeOk(tag));
        }
    }

    /// <summary>basic.cancel of the reply consumer; false when the tag is another consumer's.</summary>
    private bool CancelDirectReplies(string tag)
    {
        lock (_lock)
        {
            if (_replyConsumerTag != tag)
            {
                return false;
            }

            _replyConsumerTag = null;
        }

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

    /// <summary>Writes a reply to this channel's reply consumer (no-ack: nothing to track).</summary>
    private bool WriteDirectReply(Message message, Broker.Engine.Delivery.FlushBatch batch)
    {
        byte[] consumerTag;
        lock (_lock)
        {
            if (_state != ChannelState.Open || _replyConsumerTag is null)
            {
                return false;
            }

            consumerTag = _replyConsumerTagBytes;
        }

        return _session.TryDeliverUntracked(consumerTag, message, batch);
    }

    private bool IsDirectReplyQueueName(string name) =>
        name == DirectReplyRegistry.PseudoQueue || (name.StartsWith(DirectReplyRegistry.AddressPrefix, StringComparison.Ordinal) && _connection.DirectReplies.Exists(name));
}
