namespace Broker.Engine.Delivery;

/// <summary>Something written to during a batch (a connection's output) that is flushed once at its end.</summary>
public interface IFlushTarget
{
    void Flush();
}
