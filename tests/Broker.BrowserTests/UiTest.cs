using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RabbitMQ.Client;

namespace Broker.BrowserTests;

/// <summary>
/// A browser test: a fresh browser context and page on the shared broker. A JavaScript error, a console
/// error or an API call answered with 4xx/5xx (other than the ones a test expects) fails the test, as
/// does an error the broker logged.
/// </summary>
[Collection(BrowserCollection.Name)]
public abstract partial class UiTest : IAsyncLifetime
{
    private readonly List<string> _problems = [];
    private readonly List<Regex> _expectedFailures = [];
    private IBrowserContext? _context;

    protected UiTest(BrowserFixture fixture)
    {
        Fixture = fixture;
    }

    protected BrowserFixture Fixture { get; }

    protected IPage Page { get; private set; } = null!;

    /// <summary>A name unique to this test run, for queues and exchanges the test creates.</summary>
    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    public async Task InitializeAsync()
    {
        Fixture.Broker.TakeErrors();
        _context = await Fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Fixture.BaseUri.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        _context.SetDefaultTimeout(10_000);
        Page = await _context.NewPageAsync();
        Page.PageError += (_, error) => Record($"page error: {error}");
        Page.Console += (_, message) =>
        {
            // A failed request is also logged to the console; those are judged below by their URL.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                Record($"console error: {message.Text}");
            }
        };
        Page.Response += (_, response) =>
        {
            if (response.Status >= 400 && !_expectedFailures.Any(e => e.IsMatch($"{response.Request.Method} {response.Url} {response.Status}")))
            {
                Record($"HTTP {response.Status} for {response.Request.Method} {response.Url}");
            }
        };
        Page.RequestFailed += (_, request) => Record($"request failed: {request.Method} {request.Url} {request.Failure}");
        Page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }

        var brokerErrors = Fixture.Broker.TakeErrors();
        lock (_problems)
        {
            _problems.AddRange(brokerErrors.Select(e => $"broker error: {e}"));
            if (_problems.Count > 0)
            {
                throw new InvalidOperationException("the page or the broker reported problems:" + Environment.NewLine + string.Join(Environment.NewLine, _problems));
            }
        }
    }

    /// <summary>Lets responses matching "METHOD URL STATUS" fail without failing the test.</summary>
    protected void ExpectFailure(string pattern) => _expectedFailures.Add(new Regex(pattern));

    private void Record(string problem)
    {
        lock (_problems)
        {
            _problems.Add(problem);
        }
    }

    /// <summary>Opens the UI and logs in; waits for the header.</summary>
    protected async Task LoginAsync(string user = "guest", string password = "guest")
    {
        await Page.GotoAsync("/");
        await Page.FillAsync("input[name=username]", user);
        await Page.FillAsync("input[name=password]", password);
        await Page.ClickAsync("form.login button[type=submit]");
        await Page.WaitForSelectorAsync("#current-user");
    }

    /// <summary>Goes to a UI route ("queues", "queues/%2F/q") and waits for the page's first heading.</summary>
    protected async Task GoAsync(string route)
    {
        await Page.EvaluateAsync("r => { location.hash = '#/' + r; }", route);
        await Page.WaitForSelectorAsync("main h1");
    }

    /// <summary>
    /// Waits until the page shows ROUTE (after a page navigated by itself). Polls the URL: waiting for a
    /// navigation event misses a hash change that happened before the wait began (seen under load).
    /// </summary>
    protected async Task ExpectRouteAsync(string route) =>
        await Assertions.Expect(Page).ToHaveURLAsync(new Regex("#/" + Regex.Escape(route) + "$"));

    /// <summary>Saves a full-page screenshot as NAME.png in the screenshot directory.</summary>
    protected async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Fixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>An AMQP connection to the broker for setting up queues and messages.</summary>
    protected async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { Uri = Fixture.Broker.AmqpUri }.CreateConnectionAsync();

    /// <summary>A management API client logged in as guest, for setting up and checking state.</summary>
    protected HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = Fixture.BaseUri };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        return http;
    }

    /// <summary>The number of ready messages in a queue of vhost "/", through AMQP.</summary>
    protected async Task<uint> ReadyCountAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <summary>Publishes messages to a queue of vhost "/" through the default exchange.</summary>
    protected async Task PublishAsync(string queue, int count, Func<int, byte[]>? body = null, BasicProperties? properties = null)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        for (var i = 0; i < count; i++)
        {
            await channel.BasicPublishAsync("", queue, false, properties ?? new BasicProperties(), body?.Invoke(i) ?? System.Text.Encoding.UTF8.GetBytes($"message {i}"));
        }
    }

    /// <summary>Waits until the locator's text matches (the UI refreshes every few seconds).</summary>
    protected static async Task ExpectTextAsync(ILocator locator, string pattern) =>
        await Assertions.Expect(locator).ToHaveTextAsync(new Regex(pattern));
}
