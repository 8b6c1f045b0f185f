using Broker.Testing;
using Microsoft.Playwright;

namespace Broker.BrowserTests;

/// <summary>
/// One embedded broker (management port 0) and one headless Chromium for every browser test: starting
/// a browser takes a second, so the tests share it and each gets its own context (fresh sessionStorage).
/// The browser is Debian's /usr/bin/chromium; Playwright's own download is never used.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The system Chromium (tests/Broker.InteropTests/install-clients.sh installs it).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private EmbeddedBroker? _broker;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public EmbeddedBroker Broker => _broker ?? throw new InvalidOperationException("the fixture is not initialized");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the fixture is not initialized");

    /// <summary>http://127.0.0.1:PORT/ of the management port that serves the UI.</summary>
    public Uri BaseUri => Broker.ManagementUri ?? throw new InvalidOperationException("the management API is off");

    /// <summary>Where screenshots go: $BROKER_UI_SCREENSHOTS, else $TMPDIR/broker-ui-screenshots (outside the repository).</summary>
    public string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("BROKER_UI_SCREENSHOTS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Path.GetTempPath(), "broker-ui-screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run tests/Broker.InteropTests/install-clients.sh (apt-get install chromium)");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        _broker = await EmbeddedBroker.StartAsync(new EmbeddedBrokerOptions { ManagementPort = 0 });
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
