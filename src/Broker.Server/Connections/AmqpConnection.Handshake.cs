using System.Buffers;
using System.Net;
using Broker.DataModel.Encoding;
using Broker.Protocol.Framing;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Connections;

internal sealed partial class AmqpConnection
{
    /// <summary>Expects <c>AMQP 0 0 9 1</c>; anything else gets our header back and the socket closed.</summary>
    private bool TryReadProtocolHeader(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 8)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[8];
        buffer.Slice(0, 8).CopyTo(header);
        buffer = buffer.Slice(8);
        if (!header.SequenceEqual(FrameConstants.ProtocolHeader))
        {
            lock (Output.SyncRoot)
            {
                Output.Writer.Write(FrameConstants.ProtocolHeader);
            }

            Log.BadProtocolHeader(_logger, RemoteEndPoint);
            _state = ConnectionState.Closed;
            return false;
        }

        _state = ConnectionState.AwaitingStartOk;
        WriteMethod(0, new ConnectionStart(
            VersionMajor: 0,
            VersionMinor: 9,
            ServerProperties: _server.ServerProperties,
            Mechanisms: "AMQPLAIN PLAIN"u8.ToArray(),
            Locales: "en_US"u8.ToArray()));
        return true;
    }

    private void ProcessHandshakeFrame(in Frame frame)
    {
        if (frame.Type == FrameType.Heartbeat)
        {
            return;
        }

        if (frame.Type != FrameType.Method || frame.Channel != 0)
        {
            throw AmqpException.UnexpectedFrame($"type {(byte)frame.Type}, all octets = <<>>", 0);
        }

        var payload = MethodPayload(frame);
        var id = MethodFrame.ReadId(payload);
        switch (_state, id)
        {
            case (ConnectionState.AwaitingStartOk, MethodIds.ConnectionStartOk):
                HandleStartOk(MethodFrame.Decode<ConnectionStartOk>(payload));
                break;
            case (ConnectionState.AwaitingTuneOk, MethodIds.ConnectionTuneOk):
                HandleTuneOk(MethodFrame.Decode<ConnectionTuneOk>(payload));
                break;
            case (ConnectionState.AwaitingOpen, MethodIds.ConnectionOpen):
                HandleOpen(MethodFrame.Decode<ConnectionOpen>(payload));
                break;
            case (_, MethodIds.ConnectionClose):
                WriteMethod(0, default(ConnectionCloseOk));
                _state = ConnectionState.Closed;
                break;
            default:
                throw AmqpException.ChannelError($"unexpected method in connection state {StateName(_state)}", id);
        }
    }

    private void HandleStartOk(ConnectionStartOk startOk)
    {
        var clientProperties = startOk.ClientProperties ?? new FieldTable();
        ClientProperties = clientProperties;
        AuthMechanism = startOk.Mechanism;
        ClientName = clientProperties.GetString("connection_name") ?? clientProperties.GetString("product") ?? string.Empty;
        if (clientProperties["capabilities"] is FieldTable capabilities)
        {
            ConsumerCancelNotify = capabilities["consumer_cancel_notify"] is true;
            AuthenticationFailureClose = capabilities["authentication_failure_close"] is true;
            ConnectionBlockedNotify = capabilities["connection.blocked"] is true;
        }

        if (!SaslMechanisms.IsSupported(startOk.Mechanism))
        {
            throw AmqpException.CommandInvalid($"unknown authentication mechanism '{startOk.Mechanism}'", MethodIds.ConnectionStartOk);
        }

        if (!SaslMechanisms.TryReadCredentials(startOk.Mechanism, startOk.Response, out var userName, out var password)
            || Engine.Users.Authenticate(userName, password) is not { } user
            || !MayLogInFromHere(user.Name))
        {
            Log.AuthenticationFailed(_logger, RemoteEndPoint, userName, startOk.Mechanism);

            // Only clients that asked for it get told; RabbitMQ just closes the socket for the others.
            if (AuthenticationFailureClose)
            {
                throw AmqpException.AccessRefused(
                    $"Login was refused using authentication mechanism {startOk.Mechanism}. For details see the broker logfile.", 0);
            }

            _state = ConnectionState.Closed;
            return;
        }

        _user = user;
        _state = ConnectionState.AwaitingTuneOk;
        var options = _server.Options;
        WriteMethod(0, new ConnectionTune(options.ChannelMax, options.FrameMax, options.Heartbeat));
    }

    /// <summary>
    /// rabbit_access_control:check_user_loopback: a loopback user connecting from elsewhere is refused
    /// like a wrong password. A peer that is not an IP endpoint (an in-process transport) is local.
    /// </summary>
    private bool MayLogInFromHere(string userName)
    {
        if (!_server.Options.LoopbackUsers.Contains(userName) || !IPEndPoint.TryParse(RemoteEndPoint, out var peer))
        {
            return true;
        }

        var address = peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4() : peer.Address;
        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        Log.LoopbackUserRefused(_logger, RemoteEndPoint, userName);
        return false;
    }

    private void HandleTuneOk(ConnectionTuneOk tuneOk)
    {
        var options = _server.Options;
        CheckNegotiated("frame_max", _server.Engine.Options.Compat.MinFrameMax, options.FrameMax, tuneOk.FrameMax);
        CheckNegotiated("channel_max", 1, options.ChannelMax, tuneOk.ChannelMax);
        FrameMax = tuneOk.FrameMax;
        ChannelMax = tuneOk.ChannelMax;
        Heartbeat = tuneOk.Heartbeat;
        _state = ConnectionState.AwaitingOpen;
    }

    /// <summary>rabbit_reader:validate_negotiated_integer_value: 0 is "no limit", which a limited server refuses.</summary>
    private static void CheckNegotiated(string field, uint minimum, uint serverValue, uint clientValue)
    {
        if (clientValue != 0 && clientValue < minimum)
        {
            throw AmqpException.NotAllowed(
                $"negotiated {field} = {clientValue} is lower than the minimum allowed value ({minimum})", MethodIds.ConnectionTuneOk);
        }

        if (serverValue != 0 && (clientValue == 0 || clientValue > serverValue))
        {
            var detail = clientValue == 0 ? " (no limit)" : string.Empty;
            throw AmqpException.NotAllowed(
                $"negotiated {field} = {clientValue}{detail} is higher than the maximum allowed value ({serverValue})", MethodIds.ConnectionTuneOk);
        }
    }

    private void HandleOpen(ConnectionOpen open)
    {
        if (!Engine.TryGetVirtualHost(open.VirtualHost, out var virtualHost))
        {
            throw AmqpException.NotAllowed($"vhost {open.VirtualHost} not found", MethodIds.ConnectionOpen);
        }

        var permissions = Engine.Users.GetPermissions(_user!.Name, virtualHost.Name);
        if (permissions is null)
        {
            throw AmqpException.NotAllowed($"access to vhost '{virtualHost.Name}' refused for user '{_user.Name}'", MethodIds.ConnectionOpen);
        }

        _virtualHost = virtualHost;
        _permissions = permissions;
        _state = ConnectionState.Open;

        // Listed before the client hears open-ok, so whoever it tells finds it (tests, operators).
        Engine.Clients.Add(this);
        WriteMethod(0, new ConnectionOpenOk(KnownHosts: string.Empty));
        DisplayName = ClientProperties.GetString("connection_name") is { Length: > 0 } given ? $"{Name} - {given}" : Name;
        Log.ConnectionOpened(_logger, DisplayName, _user.Name, virtualHost.Name);
    }

    private void HandleUpdateSecret(ConnectionUpdateSecret update)
    {
        // The internal user database has no tokens to refresh: the secret must still be the password.
        var secret = System.Text.Encoding.UTF8.GetString(update.NewSecret ?? []);
        if (Engine.Users.Authenticate(UserName, secret) is null)
        {
            throw AmqpException.NotAllowed("Refused to update secret: invalid credentials", MethodIds.ConnectionUpdateSecret);
        }

        WriteMethod(0, default(ConnectionUpdateSecretOk));
    }

    private static string StateName(ConnectionState state) => state switch
    {
        ConnectionState.AwaitingStartOk => "starting",
        ConnectionState.AwaitingTuneOk => "tuning",
        ConnectionState.AwaitingOpen => "opening",
        ConnectionState.Open => "running",
        _ => "closing",
    };
}
