namespace Broker.Engine.Routing;

/// <summary>
/// What an exchange may route on besides the key being routed: the message's headers table, its
/// encoded basic properties and the routing key it was published with. CC and BCC keys are routed
/// one by one with their own key, but the consistent-hash exchange hashes the published key then too,
/// as RabbitMQ hashes only the first of a message's routing keys. Views over the message: nothing
/// is copied or allocated per publish.
/// </summary>
public readonly ref struct RoutedMessage
{
    public RoutedMessage(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> publishedKey)
    {
        Headers = headers;
        Properties = properties;
        PublishedKey = publishedKey;
    }

    /// <summary>The body of the headers table (without its length), empty when there is none.</summary>
    public ReadOnlySpan<byte> Headers { get; }

    /// <summary>The encoded basic properties (flags first); empty when the caller routes a bare key.</summary>
    public ReadOnlySpan<byte> Properties { get; }

    /// <summary>The UTF-8 routing key of the basic.publish; empty when the caller routes a bare key.</summary>
    public ReadOnlySpan<byte> PublishedKey { get; }

    /// <summary>True when the caller gave the message's properties and published key, not only a key and headers.</summary>
    public bool HasMessage => !Properties.IsEmpty;

    /// <summary>Only a headers table (dead-lettering's and tests' bare-key routing).</summary>
    public static RoutedMessage HeadersOnly(ReadOnlySpan<byte> headers) => new(headers, default, default);
}
