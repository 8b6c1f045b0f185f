using Broker.Engine.Exchanges;

namespace Broker.Engine.Routing.Explain;

/// <summary>One exchange a message reaches while routing one routing key, with every binding's verdict.</summary>
public sealed class ExchangeVisit
{
    public ExchangeVisit(Exchange exchange, string routingKey, string reachedBy, string rule)
    {
        Exchange = exchange;
        RoutingKey = routingKey;
        ReachedBy = reachedBy;
        Rule = rule;
    }

    public Exchange Exchange { get; }

    /// <summary>The key routed (the published one, or a CC / BCC key).</summary>
    public string RoutingKey { get; }

    /// <summary>How the message got here: published to it, a binding from another exchange, an alternate exchange.</summary>
    public string ReachedBy { get; }

    /// <summary>How this exchange's type routes, and what applies to this message as a whole (a delay, a hash).</summary>
    public string Rule { get; }

    public List<BindingVerdict> Bindings { get; } = [];

    /// <summary>The alternate exchange in force, if any.</summary>
    public string? AlternateExchange { get; set; }

    /// <summary>Whether the alternate exchange was used, and why; null without one.</summary>
    public string? AlternateNote { get; set; }

    /// <summary>Whether the message went on from here: destinations skipped (deleted, an exchange already visited).</summary>
    public List<string> Notes { get; } = [];
}
