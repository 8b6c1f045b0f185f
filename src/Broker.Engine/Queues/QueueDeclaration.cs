using Broker.DataModel.Encoding;
using Broker.Engine.Sessions;

namespace Broker.Engine.Queues;

/// <summary>What queue.declare (or a definitions import, or recovery) asks for, after the name is settled.</summary>
/// <param name="Owner">The connection an exclusive queue belongs to; null for shared queues.</param>
public readonly record struct QueueDeclaration(string Name, bool Durable, bool Exclusive, bool AutoDelete, FieldTable Arguments, IClientConnection? Owner);
