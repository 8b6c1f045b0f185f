using Microsoft.Playwright;

namespace Broker.BrowserTests;

/// <summary>"Explain this route" on a topic and a headers exchange: the table of bindings with the verdict and reason, and the queues reached.</summary>
public sealed class ExplainPageTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task A_topic_exchange_explains_which_patterns_match_a_key()
    {
        using var api = new AdminApi(Fixture.BaseUri);
        var vhost = Unique("explain");
        await api.PutAsync(AdminApi.Path("vhosts", vhost));
        try
        {
            await api.PutAsync(AdminApi.Path("permissions", vhost, "guest"), """{"configure":".*","write":".*","read":".*"}""");
            await api.PutAsync(AdminApi.Path("exchanges", vhost, "orders"), """{"type":"topic"}""");
            foreach (var (queue, pattern) in new[] { ("orders-eu", "orders.*.eu"), ("all-orders", "orders.#"), ("invoices", "invoices.#") })
            {
                await api.PutAsync(AdminApi.Path("queues", vhost, queue));
                await api.PostAsync(AdminApi.Path("bindings", vhost, "e", "orders", "q", queue), $$"""{"routing_key":"{{pattern}}"}""");
            }

            await LoginAsync();
            // On the exchange's own page, below its bindings and publish form.
            await GoAsync($"exchanges/{Uri.EscapeDataString(vhost)}/orders");
            await Page.FillAsync("#explain-key", "orders.new.eu.de");
            await Page.ClickAsync("#explain-run");

            await ExpectTextAsync(Page.Locator("#explain-summary"), "^Reaches 1 queue: all-orders$");
            var rows = Page.Locator("table.explain-bindings tbody tr");
            await Assertions.Expect(rows).ToHaveCountAsync(3);
            await ExpectTextAsync(rows.Filter(new() { HasText = "orders-eu" }), "no.*stands for exactly one word and there is no #: the routing key has 4 words, the binding key 3");
            await ExpectTextAsync(rows.Filter(new() { HasText = "all-orders" }), "yes.*# stands for \"new.eu.de\"");
            await ExpectTextAsync(rows.Filter(new() { HasText = "invoices" }), "word 1 differs");
            await Page.Locator("#explain").ScrollIntoViewIfNeededAsync();
            await Page.Locator("#explain").ScreenshotAsync(new() { Path = System.IO.Path.Combine(Fixture.ScreenshotDirectory, "30-explain-topic.png") });
            await ScreenshotAsync("30-exchange-page-with-explain");

            // A CC header (a JSON array of keys) is routed too, and explained after the routing key.
            var cc = Page.Locator("#explain .args-row").First;
            await cc.Locator(".arg-key").FillAsync("CC");
            await cc.Locator(".arg-type").SelectOptionAsync("json");
            await cc.Locator(".arg-value").FillAsync("[\"invoices.paid\"]");
            await Page.ClickAsync("#explain-run");
            await ExpectTextAsync(Page.Locator("#explain-summary"), "^Reaches 2 queues: all-orders, invoices$");
            await ExpectTextAsync(Page.Locator(".explain-visit").Nth(1), "for the CC header's key \"invoices.paid\"");
        }
        finally
        {
            await api.DeleteAsync(AdminApi.Path("vhosts", vhost));
        }
    }

    [Fact]
    public async Task A_headers_exchange_says_which_header_is_missing_and_follows_the_alternate_exchange()
    {
        using var api = new AdminApi(Fixture.BaseUri);
        var vhost = Unique("explain");
        await api.PutAsync(AdminApi.Path("vhosts", vhost));
        try
        {
            await api.PutAsync(AdminApi.Path("permissions", vhost, "guest"), """{"configure":".*","write":".*","read":".*"}""");
            await api.PutAsync(AdminApi.Path("exchanges", vhost, "unrouted"), """{"type":"fanout"}""");
            await api.PutAsync(AdminApi.Path("exchanges", vhost, "documents"), """{"type":"headers","arguments":{"alternate-exchange":"unrouted"}}""");
            await api.PutAsync(AdminApi.Path("queues", vhost, "pdf-en"));
            await api.PutAsync(AdminApi.Path("queues", vhost, "lost"));
            await api.PostAsync(AdminApi.Path("bindings", vhost, "e", "documents", "q", "pdf-en"), """{"routing_key":"","arguments":{"x-match":"all","format":"pdf","lang":"en"}}""");
            await api.PostAsync(AdminApi.Path("bindings", vhost, "e", "unrouted", "q", "lost"), """{"routing_key":""}""");

            await LoginAsync();
            // Its own route, #/explain/VHOST/NAME.
            await GoAsync($"explain/{Uri.EscapeDataString(vhost)}/documents");
            var header = Page.Locator("#explain .args-row").First;
            await header.Locator(".arg-key").FillAsync("format");
            await header.Locator(".arg-value").FillAsync("pdf");
            await Page.ClickAsync("#explain-run");

            await ExpectTextAsync(Page.Locator("#explain-summary"), "^Reaches 1 queue: lost$");
            await ExpectTextAsync(Page.Locator(".explain-visit[data-exchange=documents] tbody tr"), "no.*x-match all: header \"lang\" is missing");
            await ExpectTextAsync(Page.Locator(".explain-visit[data-exchange=documents] .explain-notes"), "Alternate exchange unrouted — used: no binding matched");
            await ExpectTextAsync(Page.Locator(".explain-visit[data-exchange=unrouted]"), "the alternate exchange of \"documents\"");
            await ScreenshotAsync("31-explain-headers");
        }
        finally
        {
            await api.DeleteAsync(AdminApi.Path("vhosts", vhost));
        }
    }
}
