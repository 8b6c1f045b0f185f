using System.Globalization;
using System.Text.RegularExpressions;
using Broker.ManagementTests.Helpers;

namespace Broker.ManagementTests;

/// <summary>The Prometheus endpoint: rabbitmq_prometheus's metric names, aggregated on /metrics and per queue on /metrics/per-object.</summary>
public sealed partial class PrometheusTests(ManagementFixture fixture) : ManagementTestBase(fixture), IClassFixture<ManagementFixture>
{
    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? (?<value>\\S+)$")]
    private static partial Regex Sample();

    private async Task<string> ScrapeAsync(string path)
    {
        var prometheus = Fixture.PrometheusUri ?? throw new Xunit.Sdk.XunitException($"{ManagementFixture.PrometheusUriVariable} must name the Prometheus endpoint of the external broker");
        using var http = new HttpClient { BaseAddress = prometheus };
        using var response = await http.GetAsync(path);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every sample of a metric: its label text and value.</summary>
    private static List<(string Labels, double Value)> Samples(string text, string metric)
    {
        var samples = new List<(string, double)>();
        foreach (var line in text.Split('\n'))
        {
            if (Sample().Match(line) is { Success: true } match && match.Groups["name"].Value == metric)
            {
                samples.Add((match.Groups["labels"].Value, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }
        }

        return samples;
    }

    [Fact]
    public async Task Metrics_have_build_info_connections_queues_and_ready_messages()
    {
        var text = await ScrapeAsync("metrics");

        var build = Assert.Single(Samples(text, "rabbitmq_build_info"));
        Assert.Matches("rabbitmq_version=\"3\\.[0-9.]+\"", build.Labels);
        Assert.Equal(1, build.Value);
        foreach (var metric in new[] { "rabbitmq_connections", "rabbitmq_queues", "rabbitmq_queue_messages_ready", "rabbitmq_channels", "rabbitmq_consumers" })
        {
            var sample = Assert.Single(Samples(text, metric));
            Assert.Equal(string.Empty, sample.Labels);
            Assert.True(sample.Value >= 0, $"{metric} is a count");
            Assert.Contains($"# TYPE {metric} gauge\n", text);
            Assert.Contains($"# HELP {metric} ", text);
        }
    }

    [Fact]
    public async Task Build_info_is_untyped_as_rabbitmq_prometheus_writes_it()
    {
        var text = await ScrapeAsync("metrics");

        Assert.Contains("# TYPE rabbitmq_build_info untyped\n", text);
    }

    [Fact]
    public async Task Aggregated_metrics_count_a_new_connection()
    {
        var before = Samples(await ScrapeAsync("metrics"), "rabbitmq_connections_opened_total").Single().Value;

        await ConnectAsync();

        await EventuallyAsync(
            async () => Samples(await ScrapeAsync("metrics"), "rabbitmq_connections_opened_total").Single().Value > before,
            "rabbitmq_connections_opened_total went up");
    }

    [Fact]
    public async Task Per_object_metrics_label_each_queue_with_its_vhost_and_name()
    {
        var virtualHost = await CreateVirtualHostAsync();
        await DeclareQueueAsync(virtualHost, "metered");
        await PublishOverApiAsync(virtualHost, "metered", "1");
        await PublishOverApiAsync(virtualHost, "metered", "2");
        var labels = $"vhost=\"{virtualHost}\",queue=\"metered\"";

        await EventuallyAsync(
            async () => Samples(await ScrapeAsync("metrics/per-object"), "rabbitmq_queue_messages_ready").Any(s => s.Labels == labels && s.Value == 2),
            $"rabbitmq_queue_messages_ready{{{labels}}} is 2",
            TimeSpan.FromSeconds(30));

        var text = await ScrapeAsync("metrics/per-object");
        Assert.Contains(Samples(text, "rabbitmq_queue_messages"), s => s.Labels == labels && s.Value == 2);
        Assert.Contains(Samples(text, "rabbitmq_queue_consumers"), s => s.Labels == labels && s.Value == 0);
    }
}
