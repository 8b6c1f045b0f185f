using System.Text.Json.Nodes;
using Broker.Engine.Monitoring;

namespace Broker.Management.Metrics;

/// <summary>
/// The counters behind a message_stats object: what queues delivered and what channels published.
/// Fields are in RabbitMQ's names; <see cref="ToJson"/> writes each with its "_details" rate.
/// </summary>
public struct MessageCounters
{
    public long Publish;
    public long Deliver;
    public long DeliverNoAck;
    public long Get;
    public long GetNoAck;
    public long Redeliver;
    public long Ack;
    public long Confirm;
    public long ReturnUnroutable;
    public long DropUnroutable;

    public readonly long DeliverGet => Deliver + DeliverNoAck + Get + GetNoAck;

    public static MessageCounters FromQueue(QueueStats stats) => new()
    {
        Publish = stats.Published,
        Deliver = stats.Delivered,
        DeliverNoAck = stats.DeliveredNoAck,
        Get = stats.Gets,
        GetNoAck = stats.GetsNoAck,
        Redeliver = stats.Redelivered,
        Ack = stats.Acked,
    };

    /// <summary>Adds a queue's delivery-side counters (its publishes count as the queue's, not a channel's).</summary>
    public void AddDeliveries(QueueStats stats)
    {
        Deliver += stats.Delivered;
        DeliverNoAck += stats.DeliveredNoAck;
        Get += stats.Gets;
        GetNoAck += stats.GetsNoAck;
        Redeliver += stats.Redelivered;
        Ack += stats.Acked;
    }

    public void AddPublishes(ChannelStats stats)
    {
        Publish += stats.Published;
        Confirm += stats.Confirmed;
        ReturnUnroutable += stats.ReturnedUnroutable;
        DropUnroutable += stats.DroppedUnroutable;
    }

    /// <summary>Rates per second between two samples.</summary>
    public static MessageRates Rates(in MessageCounters earlier, in MessageCounters later, double seconds)
    {
        if (seconds <= 0)
        {
            return default;
        }

        return new MessageRates(
            Publish: (later.Publish - earlier.Publish) / seconds,
            Deliver: (later.Deliver - earlier.Deliver) / seconds,
            DeliverNoAck: (later.DeliverNoAck - earlier.DeliverNoAck) / seconds,
            Get: (later.Get - earlier.Get) / seconds,
            GetNoAck: (later.GetNoAck - earlier.GetNoAck) / seconds,
            DeliverGet: (later.DeliverGet - earlier.DeliverGet) / seconds,
            Redeliver: (later.Redeliver - earlier.Redeliver) / seconds,
            Ack: (later.Ack - earlier.Ack) / seconds,
            Confirm: (later.Confirm - earlier.Confirm) / seconds,
            ReturnUnroutable: (later.ReturnUnroutable - earlier.ReturnUnroutable) / seconds,
            DropUnroutable: (later.DropUnroutable - earlier.DropUnroutable) / seconds);
    }

    /// <summary>
    /// message_stats as RabbitMQ writes it: every counter with its rate. Publish-side fields
    /// (confirm, unroutable) only when <paramref name="publishSide"/>, as queues do not have them.
    /// </summary>
    public readonly JsonObject ToJson(in MessageRates rates, bool publishSide)
    {
        var json = new JsonObject();
        Add(json, "ack", Ack, rates.Ack);
        if (publishSide)
        {
            Add(json, "confirm", Confirm, rates.Confirm);
        }

        Add(json, "deliver", Deliver, rates.Deliver);
        Add(json, "deliver_get", DeliverGet, rates.DeliverGet);
        Add(json, "deliver_no_ack", DeliverNoAck, rates.DeliverNoAck);
        if (publishSide)
        {
            Add(json, "drop_unroutable", DropUnroutable, rates.DropUnroutable);
        }

        Add(json, "get", Get, rates.Get);
        Add(json, "get_empty", 0, 0);
        Add(json, "get_no_ack", GetNoAck, rates.GetNoAck);
        Add(json, "publish", Publish, rates.Publish);
        Add(json, "redeliver", Redeliver, rates.Redeliver);
        if (publishSide)
        {
            Add(json, "return_unroutable", ReturnUnroutable, rates.ReturnUnroutable);
        }

        return json;
    }

    private static void Add(JsonObject json, string name, long value, double rate)
    {
        json[name] = value;
        json[name + "_details"] = new JsonObject { ["rate"] = Math.Round(rate, 1) };
    }
}

public readonly record struct MessageRates(
    double Publish,
    double Deliver,
    double DeliverNoAck,
    double Get,
    double GetNoAck,
    double DeliverGet,
    double Redeliver,
    double Ack,
    double Confirm,
    double ReturnUnroutable,
    double DropUnroutable);
