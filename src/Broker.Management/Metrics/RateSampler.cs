using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Broker.Engine;
using Broker.Engine.Monitoring;
using Broker.Engine.Queues;

namespace Broker.Management.Metrics;

/// <summary>
/// Samples message counters every interval (RabbitMQ's collect_statistics_interval) so the API can
/// report rates: per queue, per vhost and for the broker. Counting is the engine's (a few interlocked
/// increments on the hot path); this only reads counters, off the hot path, once per interval.
/// </summary>
public sealed class RateSampler : IDisposable
{
    private readonly BrokerEngine _engine;
    private readonly Timer _timer;
    private readonly ConditionalWeakTable<MessageQueue, Sample> _queues = new();
    private readonly ConcurrentDictionary<string, Sample> _virtualHosts = new();
    private readonly Sample _broker = new();
    private readonly List<IManagedConnection> _connections = [];
    private readonly List<ChannelInfo> _channels = [];
    private readonly Lock _lock = new();

    public RateSampler(BrokerEngine engine, TimeSpan interval)
    {
        _engine = engine;
        _timer = new Timer(_ => Tick(), null, interval, interval);
    }

    /// <summary>Counters of the whole broker now: deliveries from every queue (and deleted ones), publishes from every channel (and closed ones).</summary>
    public MessageCounters BrokerTotals()
    {
        var totals = default(MessageCounters);
        foreach (var virtualHost in _engine.VirtualHosts)
        {
            AddVirtualHostDeliveries(virtualHost, ref totals);
        }

        totals.AddPublishes(_engine.Clients.Retired);
        foreach (var channel in Channels())
        {
            totals.AddPublishes(channel.Stats);
        }

        return totals;
    }

    /// <summary>Counters of one vhost now (publishes of its open channels only).</summary>
    public MessageCounters VirtualHostTotals(Engine.VirtualHosts.VirtualHost virtualHost, List<ChannelInfo> channels)
    {
        var totals = default(MessageCounters);
        AddVirtualHostDeliveries(virtualHost, ref totals);
        foreach (var channel in channels)
        {
            if (channel.VirtualHost == virtualHost.Name)
            {
                totals.AddPublishes(channel.Stats);
            }
        }

        return totals;
    }

    public MessageRates BrokerRates => _broker.Rates;

    public MessageRates VirtualHostRates(string name) => _virtualHosts.TryGetValue(name, out var sample) ? sample.Rates : default;

    public MessageRates QueueRates(MessageQueue queue) => _queues.TryGetValue(queue, out var sample) ? sample.Rates : default;

    /// <summary>Every open channel now.</summary>
    public List<ChannelInfo> Channels()
    {
        List<IManagedConnection> connections = [];
        _engine.Clients.CopyTo(connections);
        List<ChannelInfo> channels = [];
        foreach (var connection in connections)
        {
            connection.CopyChannels(channels);
        }

        return channels;
    }

    public void Dispose() => _timer.Dispose();

    private static void AddVirtualHostDeliveries(Engine.VirtualHosts.VirtualHost virtualHost, ref MessageCounters totals)
    {
        totals.AddDeliveries(virtualHost.RetiredQueueStats);
        foreach (var queue in virtualHost.Queues)
        {
            totals.AddDeliveries(queue.Stats);
        }
    }

    private void Tick()
    {
        try
        {
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                var channels = Channels();
                _broker.Push(now, BrokerTotals());
                foreach (var virtualHost in _engine.VirtualHosts)
                {
                    _virtualHosts.GetOrAdd(virtualHost.Name, _ => new Sample()).Push(now, VirtualHostTotals(virtualHost, channels));
                    foreach (var queue in virtualHost.Queues)
                    {
                        _queues.GetOrCreateValue(queue).Push(now, MessageCounters.FromQueue(queue.Stats));
                    }
                }
            }
        }
        catch (Exception ex)
        {
            _engine.ReportUnexpected(ex, "management rate sampling");
        }
    }

    private sealed class Sample
    {
        private MessageCounters _latest;
        private long _latestAt;

        public MessageRates Rates { get; private set; }

        public void Push(long at, MessageCounters counters)
        {
            if (_latestAt != 0)
            {
                Rates = NonNegative(MessageCounters.Rates(_latest, counters, Stopwatch.GetElapsedTime(_latestAt, at).TotalSeconds));
            }

            _latest = counters;
            _latestAt = at;
        }

        // A deleted queue's or closed channel's counters move between totals: never report that as a negative rate.
        private static MessageRates NonNegative(MessageRates r) => new(
            Math.Max(0, r.Publish), Math.Max(0, r.Deliver), Math.Max(0, r.DeliverNoAck), Math.Max(0, r.Get), Math.Max(0, r.GetNoAck),
            Math.Max(0, r.DeliverGet), Math.Max(0, r.Redeliver), Math.Max(0, r.Ack), Math.Max(0, r.Confirm), Math.Max(0, r.ReturnUnroutable),
            Math.Max(0, r.DropUnroutable));
    }
}
