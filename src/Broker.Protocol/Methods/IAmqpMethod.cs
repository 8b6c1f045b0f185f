using Broker.DataModel.Encoding;

namespace Broker.Protocol.Methods;

/// <summary>
/// One AMQP method's arguments. Implemented by a readonly struct per method (generated from the spec),
/// so frames are read and written without boxing.
/// </summary>
public interface IAmqpMethod<TSelf>
    where TSelf : struct, IAmqpMethod<TSelf>
{
    static abstract ushort ClassIndex { get; }

    static abstract ushort MethodIndex { get; }

    /// <summary><c>ClassIndex &lt;&lt; 16 | MethodIndex</c>.</summary>
    static abstract uint Id { get; }

    static abstract bool HasContent { get; }

    /// <summary>Size of the arguments in bytes, not counting the class and method ids.</summary>
    int GetSize();

    void WriteTo(ref AmqpWriter writer);

    static abstract TSelf ReadFrom(ref AmqpReader reader);
}
