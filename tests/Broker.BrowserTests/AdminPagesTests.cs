using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Broker.BrowserTests;

/// <summary>
/// The Admin pages clicked through: a user (add, tags, password, delete), a vhost (add, tracing,
/// delete), permissions and topic permissions, a policy and an operator policy, vhost and user limits,
/// and definitions exported and imported. Each step is checked through the API.
/// </summary>
public sealed class AdminPagesTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task Users_vhosts_permissions_and_limits_are_managed_from_the_pages()
    {
        using var api = new AdminApi(Fixture.BaseUri);
        var user = Unique("alice");
        var vhost = Unique("team");
        try
        {
            await LoginAsync();

            // A vhost, with tracing on.
            await GoAsync("admin/vhosts");
            await Page.FillAsync("#vhost-name", vhost);
            await Page.FillAsync("#vhost-description", "the team's vhost");
            await Page.CheckAsync("#vhost-tracing");
            await Page.ClickAsync("#add-vhost-submit");
            var vhostRow = Page.Locator("table.vhosts tbody tr").Filter(new() { HasText = vhost });
            await ExpectTextAsync(vhostRow, "the team's vhost.*on");
            Assert.Contains("\"tracing\":true", await api.GetAsync(AdminApi.Path("vhosts", vhost)), StringComparison.Ordinal);
            await ScreenshotAsync("40-admin-vhosts");

            // A user with tags.
            await GoAsync("admin/users");
            await Page.FillAsync("#user-name", user);
            await Page.FillAsync("#user-password", "first-secret");
            await Page.ClickAsync("#add-user .tag-picker button:has-text('monitoring')");
            await Page.ClickAsync("#add-user-submit");
            var userRow = Page.Locator("table.users tbody tr").Filter(new() { HasText = user });
            await ExpectTextAsync(userRow, "monitoring.*none.*yes");
            await ScreenshotAsync("41-admin-users");

            // Its page: tags, password, permission, topic permission, limit.
            await userRow.Locator("a.user-link").ClickAsync();
            await ExpectTextAsync(Page.Locator("main h1"), $"User {user}");
            await Page.FillAsync("#edit-tags", "management, policymaker");
            await Page.ClickAsync("#edit-user-tags-submit");
            await ExpectTextAsync(Page.Locator("main .kv").First, "management.*policymaker");
            await Page.FillAsync("#new-password", "second-secret");
            await Page.ClickAsync("#change-password-submit");
            await Page.SelectOptionAsync("#permission-vhost", vhost);
            await Page.FillAsync("#permission-configure", "^alice-.*");
            await Page.ClickAsync("#set-permission-submit");
            await ExpectTextAsync(Page.Locator("table.permissions tbody tr"), $"{vhost}.*\\^alice-\\.\\*.*\\.\\*.*\\.\\*");
            await Page.SelectOptionAsync("#topic-vhost", vhost);
            await Page.FillAsync("#topic-write", "^orders\\.");
            await Page.ClickAsync("#set-topic-permission-submit");
            await ExpectTextAsync(Page.Locator("table.topic-permissions tbody tr"), $"{vhost}.*amq\\.topic.*\\^orders");
            await Page.SelectOptionAsync("#user-limit-name", "max-channels");
            await Page.FillAsync("#user-limit-value", "20");
            await Page.ClickAsync("#set-user-limit-submit");
            await ExpectTextAsync(Page.Locator("table.user-limits tbody tr"), "max-channels.*20");
            await ScreenshotAsync("42-admin-user");

            var who = JsonNode.Parse(await api.GetAsync(AdminApi.Path("users", user)))!;
            Assert.Equal(["management", "policymaker"], who["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order());
            using (var asUser = new HttpClient { BaseAddress = Fixture.BaseUri })
            {
                asUser.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:second-secret")));
                using var whoami = await asUser.GetAsync("api/whoami");
                Assert.Equal(200, (int)whoami.StatusCode);
            }

            Assert.Contains("\"configure\":\"^alice-.*\"", await api.GetAsync(AdminApi.Path("permissions", vhost, user)), StringComparison.Ordinal);
            Assert.Contains("\"max-channels\":20", await api.GetAsync(AdminApi.Path("user-limits", user)), StringComparison.Ordinal);

            // The vhost's page: a vhost limit and tracing off.
            await GoAsync($"admin/vhosts/{Uri.EscapeDataString(vhost)}");
            await ExpectTextAsync(Page.Locator("table.permissions tbody tr").Filter(new() { HasText = user }), "\\^alice-");
            await Page.SelectOptionAsync("#vhost-limit-name", "max-queues");
            await Page.FillAsync("#vhost-limit-value", "100");
            await Page.ClickAsync("#set-vhost-limit-submit");
            await ExpectTextAsync(Page.Locator("table.vhost-limits tbody tr"), "max-queues.*100");
            await Page.ClickAsync("#toggle-tracing");
            await ExpectTextAsync(Page.Locator("#toggle-tracing"), "Turn tracing on");
            Assert.Contains("\"tracing\":false", await api.GetAsync(AdminApi.Path("vhosts", vhost)), StringComparison.Ordinal);
            Assert.Contains("\"max-queues\":100", await api.GetAsync(AdminApi.Path("vhost-limits", vhost)), StringComparison.Ordinal);
            await ScreenshotAsync("43-admin-vhost");

            // The limits overview lists both.
            await GoAsync("admin/limits");
            await ExpectTextAsync(Page.Locator("table.vhost-limits tbody tr").Filter(new() { HasText = vhost }), "max-queues.*100");
            await ExpectTextAsync(Page.Locator("table.user-limits tbody tr").Filter(new() { HasText = user }), "max-channels.*20");
            await ScreenshotAsync("44-admin-limits");

            // Delete the user, then the vhost.
            await GoAsync($"admin/users/{Uri.EscapeDataString(user)}");
            await Page.ClickAsync("#delete-user");
            await ExpectRouteAsync("admin/users");
            Assert.Equal(404, await api.StatusAsync(AdminApi.Path("users", user)));
            await GoAsync($"admin/vhosts/{Uri.EscapeDataString(vhost)}");
            await Page.ClickAsync("#delete-vhost");
            await ExpectRouteAsync("admin/vhosts");
            Assert.Equal(404, await api.StatusAsync(AdminApi.Path("vhosts", vhost)));
        }
        finally
        {
            await api.DeleteAsync(AdminApi.Path("users", user));
            await api.DeleteAsync(AdminApi.Path("vhosts", vhost));
        }
    }

    [Fact]
    public async Task Policies_and_operator_policies_are_added_edited_and_deleted()
    {
        using var api = new AdminApi(Fixture.BaseUri);
        var vhost = Unique("policies");
        await api.PutAsync(AdminApi.Path("vhosts", vhost));
        try
        {
            await api.PutAsync(AdminApi.Path("permissions", vhost, "guest"), """{"configure":".*","write":".*","read":".*"}""");
            await LoginAsync();
            await GoAsync("admin/policies");
            await Page.SelectOptionAsync("#policy-vhost", vhost);
            await Page.FillAsync("#policy-name", "orders-limit");
            await Page.FillAsync("#policy-pattern", "^orders\\.");
            await Page.SelectOptionAsync("#policy-apply-to", "queues");
            await Page.FillAsync("#policy-priority", "5");
            var first = Page.Locator("#set-policy .args-row").First;
            await first.Locator(".arg-key").FillAsync("max-length");
            await first.Locator(".arg-value").FillAsync("1000");
            await first.Locator(".arg-type").SelectOptionAsync("number");
            await Page.ClickAsync("#set-policy-submit");
            var row = Page.Locator("table.policies tbody tr").Filter(new() { HasText = vhost });
            await ExpectTextAsync(row, "orders-limit.*\\^orders\\\\\\..*queues.*max-length: 1000.*5");

            await Page.SelectOptionAsync("#policy-kind", "operator-policies");
            await Page.FillAsync("#policy-name", "cap");
            await Page.FillAsync("#policy-pattern", ".*");
            await Page.FillAsync("#policy-priority", "0");
            await Page.Locator("#set-policy .args-row .arg-value").First.FillAsync("5000");
            await Page.ClickAsync("#set-policy-submit");
            await ExpectTextAsync(Page.Locator("table.operator-policies tbody tr").Filter(new() { HasText = vhost }), "cap.*max-length: 5000");
            await ScreenshotAsync("45-admin-policies");

            // Edit the policy: the form is filled from the row, the value changed and saved.
            await row.Locator("button.edit-policy").ClickAsync();
            await Assertions.Expect(Page.Locator("#policy-name")).ToHaveValueAsync("orders-limit");
            await Assertions.Expect(Page.Locator("#policy-kind")).ToHaveValueAsync("policies");
            await Page.Locator("#set-policy .args-row .arg-value").First.FillAsync("2000");
            await Page.ClickAsync("#set-policy-submit");
            await ExpectTextAsync(row, "max-length: 2000");
            var policy = JsonNode.Parse(await api.GetAsync(AdminApi.Path("policies", vhost, "orders-limit")))!;
            Assert.Equal(2000, policy["definition"]!["max-length"]!.GetValue<int>());
            Assert.Equal("queues", policy["apply-to"]!.GetValue<string>());
            Assert.Equal(5, policy["priority"]!.GetValue<int>());

            await row.Locator("button.delete-policy").ClickAsync();
            await Assertions.Expect(row).ToHaveCountAsync(0);
            Assert.Equal(404, await api.StatusAsync(AdminApi.Path("policies", vhost, "orders-limit")));
            var operatorRow = Page.Locator("table.operator-policies tbody tr").Filter(new() { HasText = vhost });
            await operatorRow.Locator("button.delete-policy").ClickAsync();
            await Assertions.Expect(operatorRow).ToHaveCountAsync(0);
        }
        finally
        {
            await api.DeleteAsync(AdminApi.Path("operator-policies", vhost, "cap"));
            await api.DeleteAsync(AdminApi.Path("vhosts", vhost));
        }
    }

    [Fact]
    public async Task Definitions_are_exported_as_a_file_and_imported_from_one()
    {
        using var api = new AdminApi(Fixture.BaseUri);
        var vhost = Unique("defs");
        await api.PutAsync(AdminApi.Path("vhosts", vhost));
        var copy = Unique("defs-copy");
        await api.PutAsync(AdminApi.Path("vhosts", copy));
        try
        {
            await api.PutAsync(AdminApi.Path("permissions", vhost, "guest"), """{"configure":".*","write":".*","read":".*"}""");
            await api.PutAsync(AdminApi.Path("queues", vhost, "exported-queue"), """{"durable":true}""");
            await LoginAsync();
            await GoAsync("definitions");
            await Page.SelectOptionAsync("#export-vhost", vhost);
            var download = await Page.RunAndWaitForDownloadAsync(() => Page.ClickAsync("#export-definitions"));
            var file = Path.Combine(Path.GetTempPath(), $"{Unique("definitions")}.json");
            await download.SaveAsAsync(file);
            try
            {
                Assert.EndsWith(".json", download.SuggestedFilename, StringComparison.Ordinal);
                var exported = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
                Assert.Contains(exported["queues"]!.AsArray(), q => q!["name"]!.GetValue<string>() == "exported-queue");
                await ScreenshotAsync("46-definitions");

                // Import the one-vhost file into another vhost.
                await Page.SetInputFilesAsync("#import-file", file);
                await Page.SelectOptionAsync("#import-vhost", copy);
                await Page.ClickAsync("#import-definitions");
                await ExpectTextAsync(Page.Locator("#import-status"), $"Imported .* into {copy}");
                Assert.Equal(200, await api.StatusAsync(AdminApi.Path("queues", copy, "exported-queue")));
            }
            finally
            {
                File.Delete(file);
            }
        }
        finally
        {
            await api.DeleteAsync(AdminApi.Path("vhosts", vhost));
            await api.DeleteAsync(AdminApi.Path("vhosts", copy));
        }
    }
}
