using System.Net;
using System.Net.Sockets;
using Broker.Configuration;

namespace Broker;

/// <summary>
/// <c>broker probe</c>: the image's HEALTHCHECK, needing no shell or tools. It reads the broker's own
/// options, variables and config files to know the ports, then checks that AMQP answers the protocol
/// header with connection.start and that the management API answers HTTP (any status: no
/// credentials are needed to know it serves). Exit 0 when both answer, 1 otherwise, with one line.
/// </summary>
internal static class HealthProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args, Func<string, string?> environment, TextWriter output, TextWriter error)
    {
        BrokerSettings settings;
        try
        {
            settings = BrokerSettings.Parse(args, environment);
        }
        catch (Exception ex) when (ex is ArgumentException or ConfigurationException)
        {
            error.WriteLine($"broker probe: {ex.Message}");
            return 1;
        }

        if (settings.ShowHelp)
        {
            output.WriteLine("broker probe [OPTIONS]: the broker's options, variables and config files name the ports to check; exit 0 when AMQP and the management API answer, 1 otherwise.");
            return 0;
        }

        var amqp = new IPEndPoint(Reachable(settings.Bind), settings.Port);
        var failure = settings.Port == 0 ? "AMQP: port 0 is picked at start; give the port" : await CheckAmqpAsync(amqp);
        IPEndPoint? management = null;
        if (failure is null && settings.ManagementPort != 0)
        {
            management = new IPEndPoint(Reachable(settings.ManagementBind ?? settings.Bind), settings.ManagementPort);
            failure = await CheckHttpAsync(management);
        }

        if (failure is not null)
        {
            error.WriteLine($"broker probe: {failure}");
            return 1;
        }

        output.WriteLine(management is null ? $"ok: AMQP on {amqp}" : $"ok: AMQP on {amqp}, management API on {management}");
        return 0;
    }

    /// <summary>A wildcard address is reached on loopback.</summary>
    private static IPAddress Reachable(IPAddress bind) =>
        bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : bind;

    private static async Task<string?> CheckAmqpAsync(IPEndPoint endPoint)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint, timeout.Token);
            await socket.SendAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), timeout.Token);

            // connection.start: a method frame (type 1) on channel 0, class 10 method 10. Closing
            // before start-ok is logged by nobody, so a probe every few seconds adds no log lines.
            var header = new byte[11];
            var read = 0;
            while (read < header.Length)
            {
                var count = await socket.ReceiveAsync(header.AsMemory(read), timeout.Token);
                if (count == 0)
                {
                    return $"AMQP on {endPoint}: the connection closed before connection.start";
                }

                read += count;
            }

            return header[0] == 1 && header[1] == 0 && header[2] == 0 && header[7] == 0 && header[8] == 10 && header[9] == 0 && header[10] == 10
                ? null
                : $"AMQP on {endPoint}: the answer is not AMQP 0-9-1's connection.start";
        }
        catch (OperationCanceledException)
        {
            return $"AMQP on {endPoint}: no answer within {Timeout.TotalSeconds:F0} s";
        }
        catch (SocketException ex)
        {
            return $"AMQP on {endPoint}: {ex.Message}";
        }
    }

    private static async Task<string?> CheckHttpAsync(IPEndPoint endPoint)
    {
        using var client = new HttpClient { Timeout = Timeout };
        var host = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        try
        {
            using var response = await client.GetAsync(new Uri($"http://{host}:{endPoint.Port}/api/overview"));
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return $"management API on {endPoint}: {ex.Message}";
        }
    }
}
