using System.Collections.Concurrent;

namespace Broker.Server.Channels;

/// <summary>
/// RabbitMQ's direct reply-to: channels consuming from the pseudo-queue amq.rabbitmq.reply-to, by the
/// reply address their requests carry (amq.rabbitmq.reply-to.TOKEN). A reply published to that
/// address through the default exchange goes straight to the channel, with no queue in between.
/// </summary>
internal sealed class DirectReplyRegistry
{
    public const string PseudoQueue = "amq.rabbitmq.reply-to";
    public const string AddressPrefix = "amq.rabbitmq.reply-to.";

    public static ReadOnlySpan<byte> AddressPrefixBytes => "amq.rabbitmq.reply-to."u8;

    private readonly ConcurrentDictionary<string, AmqpChannel> _channels = new();
    private readonly ConcurrentDictionary<string, AmqpChannel>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public DirectReplyRegistry()
    {
        _byChars = _channels.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Register(AmqpChannel channel)
    {
        Span<byte> random = stackalloc byte[16];
        System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        var address = AddressPrefix + Convert.ToBase64String(random);
        _channels[address] = channel;
        return address;
    }

    public void Unregister(string address) => _channels.TryRemove(address, out _);

    public bool TryGet(ReadOnlySpan<char> address, out AmqpChannel channel) => _byChars.TryGetValue(address, out channel!);

    public bool Exists(string address) => _channels.ContainsKey(address);
}
