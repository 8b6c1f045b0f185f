using Broker.Engine.Queues;

namespace Broker.Engine.VirtualHosts;

public readonly record struct QueueDeclareResult(MessageQueue Queue, uint MessageCount, uint ConsumerCount, bool Created);
