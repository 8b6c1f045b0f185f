namespace Broker.Engine;
