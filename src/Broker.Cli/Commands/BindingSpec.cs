using Broker.Cli.Arguments;
using Broker.Cli.Http;

namespace Broker.Cli.Commands;

/// <summary>
/// A binding as the options name it: <c>--source EX --destination NAME [--destination-type
/// queue|exchange] [--routing-key KEY]</c>, and the API path of the bindings between the two.
/// </summary>
internal sealed record BindingSpec(string Vhost, string Source, string Destination, bool ToExchange, string RoutingKey)
{
    public string Path => ApiPath.Of("bindings", ApiPath.Segment(Vhost), "e", ApiPath.Segment(Source), ToExchange ? "e" : "q", ApiPath.Segment(Destination));

    public static BindingSpec Read(CommandLine line)
    {
        var source = line.RequiredOption("source", "(the exchange)");
        var destination = line.RequiredOption("destination", "(the queue or exchange)");
        if (source.Length == 0 || destination.Length == 0)
        {
            throw new UsageException("--source and --destination cannot be empty (the default exchange takes no bindings)");
        }

        var toExchange = line.Option("destination-type") switch
        {
            null or "queue" => false,
            "exchange" => true,
            var other => throw new UsageException($"--destination-type is queue or exchange, not '{other}'"),
        };
        return new BindingSpec(Change.Vhost(line), source, destination, toExchange, line.Option("routing-key") ?? "");
    }

    public override string ToString() =>
        $"binding from exchange '{Source}' to {(ToExchange ? "exchange" : "queue")} '{Destination}' with routing key '{RoutingKey}' in vhost '{Vhost}'";
}
