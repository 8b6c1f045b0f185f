using Microsoft.Playwright;

namespace Broker.BrowserTests;

public sealed class LoginTests(BrowserFixture fixture) : UiTest(fixture)
{
    [Fact]
    public async Task Login_shows_the_overview_with_the_node_and_logout_returns_to_the_form()
    {
        await Page.GotoAsync("/");
        await ScreenshotAsync("01-login");
        await LoginAsync();
        await Assertions.Expect(Page.Locator("#current-user")).ToHaveTextAsync("guest");
        await Assertions.Expect(Page.Locator("nav.tabs a.active")).ToHaveTextAsync("Overview");
        await Assertions.Expect(Page.Locator("#node-name")).Not.ToBeEmptyAsync();

        await Page.ClickAsync("#logout");
        await Assertions.Expect(Page.Locator("form.login")).ToBeVisibleAsync();
        Assert.Null(await Page.EvaluateAsync<string?>("() => sessionStorage.getItem('auth')"));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_the_reason()
    {
        ExpectFailure(@"GET .*/api/whoami 401");
        await Page.GotoAsync("/");
        await Page.FillAsync("input[name=username]", "guest");
        await Page.FillAsync("input[name=password]", "wrong");
        await Page.ClickAsync("form.login button[type=submit]");
        await ExpectTextAsync(Page.Locator(".login-error"), "Login failed");
        await Assertions.Expect(Page.Locator("#current-user")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_user_without_a_management_tag_is_refused()
    {
        ExpectFailure(@"GET .*/api/whoami 401");
        var user = Unique("plain");
        using var admin = new HttpClient { BaseAddress = Fixture.BaseUri };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        (await admin.PutAsync($"api/users/{user}", new StringContent("{\"password\":\"pw\",\"tags\":\"\"}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        try
        {
            await Page.GotoAsync("/");
            await Page.FillAsync("input[name=username]", user);
            await Page.FillAsync("input[name=password]", "pw");
            await Page.ClickAsync("form.login button[type=submit]");
            await ExpectTextAsync(Page.Locator(".login-error"), "management");
            await ScreenshotAsync("01-login-refused");
        }
        finally
        {
            await admin.DeleteAsync($"api/users/{user}");
        }
    }

    [Fact]
    public async Task Static_files_have_content_types_and_unknown_files_are_404()
    {
        using var http = new HttpClient { BaseAddress = Fixture.BaseUri };
        var index = await http.GetAsync("/");
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(index.Headers.ETag);
        Assert.Equal("text/javascript", (await http.GetAsync("js/app.js")).Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/css", (await http.GetAsync("app.css")).Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("no-such-file.js")).StatusCode);

        var again = new HttpRequestMessage(HttpMethod.Get, "/");
        again.Headers.IfNoneMatch.Add(index.Headers.ETag!);
        Assert.Equal(System.Net.HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
    }

    [Fact]
    public async Task A_management_user_sees_the_overview_and_its_queues_without_being_logged_out()
    {
        var user = Unique("mgmt");
        using var admin = new HttpClient { BaseAddress = Fixture.BaseUri };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        (await admin.PutAsync($"api/users/{user}", new StringContent("{\"password\":\"pw\",\"tags\":\"management\"}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await admin.PutAsync($"api/permissions/%2F/{user}", new StringContent("{\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        try
        {
            await LoginAsync(user, "pw");
            await ExpectTextAsync(Page.Locator("#total-queues"), "^[0-9]");
            await Assertions.Expect(Page.Locator("main")).ToContainTextAsync("need the monitoring tag");
            await GoAsync("queues");
            await Assertions.Expect(Page.Locator("#queue-list table")).ToBeVisibleAsync();
            await Assertions.Expect(Page.Locator("#current-user")).ToHaveTextAsync(user);
        }
        finally
        {
            await admin.DeleteAsync($"api/users/{user}");
        }
    }
}
