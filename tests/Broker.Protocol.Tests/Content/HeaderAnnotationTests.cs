using Broker.DataModel.Content;
using Broker.DataModel.Encoding;

namespace Broker.Protocol.Tests.Content;

/// <summary>
/// A delivery's properties with one long header added (x-delivery-count, x-stream-offset): every other
/// property comes through unchanged, whether the message had headers, had none, or had the header already.
/// </summary>
public class HeaderAnnotationTests
{
    private static BasicProperties Annotate(BasicProperties properties, string key, long value)
    {
        var encoded = properties.Encode();
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        var buffer = new byte[HeaderAnnotation.MaxSize(encoded, keyBytes)];
        var written = HeaderAnnotation.Write(encoded, keyBytes, value, buffer);
        return BasicProperties.Read(buffer.AsSpan(0, written));
    }

    private static BasicProperties Full(FieldTable? headers) => new()
    {
        ContentType = "text/plain",
        ContentEncoding = "utf-8",
        Headers = headers,
        DeliveryMode = 2,
        Priority = 3,
        CorrelationId = "c",
        ReplyTo = "r",
        Expiration = "1000",
        MessageId = "m",
        Timestamp = new AmqpTimestamp(1700000000),
        Type = "t",
        AppId = "a",
    };

    [Fact]
    public void Adds_a_headers_table_to_properties_that_had_none()
    {
        var annotated = Annotate(Full(headers: null), "x-delivery-count", 2);

        Assert.Equal(2L, annotated.Headers!["x-delivery-count"]);
        Assert.Single(annotated.Headers!);
        Assert.Equal(Full(annotated.Headers).Encode(), annotated.Encode());
    }

    [Fact]
    public void Adds_to_properties_with_nothing_but_a_flags_word()
    {
        var annotated = Annotate(new BasicProperties(), "x-stream-offset", long.MaxValue);

        Assert.Equal(long.MaxValue, annotated.Headers!["x-stream-offset"]);
        Assert.Null(annotated.ContentType);
        Assert.Null(annotated.DeliveryMode);
    }

    [Fact]
    public void Appends_to_an_existing_headers_table_keeping_its_entries_in_order()
    {
        var headers = new FieldTable { { "a", 1 }, { "b", "two"u8.ToArray() } };

        var annotated = Annotate(Full(headers), "x-delivery-count", 1);

        Assert.Equal(["a", "b", "x-delivery-count"], annotated.Headers!.Select(entry => entry.Key));
        Assert.Equal(1L, annotated.Headers!["x-delivery-count"]);
        Assert.Equal(("text/plain", "m", "a"), (annotated.ContentType, annotated.MessageId, annotated.AppId));
    }

    [Fact]
    public void Properties_with_an_extra_flags_word_are_re_encoded_with_the_header()
    {
        var encoded = Full(headers: null).Encode();
        var withContinuation = new byte[encoded.Length + 2];
        withContinuation[0] = encoded[0];
        withContinuation[1] = (byte)(encoded[1] | 1);
        encoded.AsSpan(2).CopyTo(withContinuation.AsSpan(4));
        var key = "x-delivery-count"u8;
        var buffer = new byte[HeaderAnnotation.MaxSize(withContinuation, key)];

        var annotated = BasicProperties.Read(buffer.AsSpan(0, HeaderAnnotation.Write(withContinuation, key, 4, buffer)));

        Assert.Equal(4L, annotated.Headers!["x-delivery-count"]);
        Assert.Equal(("text/plain", "m", "a"), (annotated.ContentType, annotated.MessageId, annotated.AppId));
    }

    [Fact]
    public void Replaces_a_header_the_publisher_set_under_the_same_name()
    {
        var headers = new FieldTable { { "x-delivery-count", 99 }, { "other", 5 } };

        var annotated = Annotate(Full(headers), "x-delivery-count", 3);

        Assert.Equal(3L, annotated.Headers!["x-delivery-count"]);
        Assert.Equal(2, annotated.Headers.Count);
    }
}
