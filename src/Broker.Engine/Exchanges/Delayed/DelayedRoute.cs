namespace Broker.Engine.Exchanges.Delayed;

/// <summary>A delayed exchange a publish reached, and how long it holds the message.</summary>
public readonly record struct DelayedRoute(DelayedMessageExchange Exchange, long Delay);
