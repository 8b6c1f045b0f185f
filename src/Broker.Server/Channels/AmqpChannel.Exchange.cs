using Broker.DataModel.Encoding;
using Broker.Protocol.Methods;
using Broker.Server.Errors;

namespace Broker.Server.Channels;

internal sealed partial class AmqpChannel
{
    private Task? HandleExchangeDeclare(ExchangeDeclare declare)
    {
        if (!declare.Passive)
        {
            CheckConfigure(declare.Exchange, isQueue: false, MethodIds.ExchangeDeclare);
        }

        var result = _virtualHost.DeclareExchange(
            declare.Exchange, declare.Type, declare.Passive, declare.Durable, declare.AutoDelete, declare.Internal, declare.Arguments ?? new FieldTable());
        if (result.IsError)
        {
            throw AmqpException.From(result.Error, MethodIds.ExchangeDeclare);
        }

        return ReplyWhenPersisted(default(ExchangeDeclareOk), declare.Nowait);
    }

    private Task? HandleExchangeDelete(ExchangeDelete delete)
    {
        CheckConfigure(delete.Exchange, isQueue: false, MethodIds.ExchangeDelete);
        var error = _virtualHost.DeleteExchange(delete.Exchange, delete.IfUnused);
        if (error.IsError)
        {
            throw AmqpException.From(error, MethodIds.ExchangeDelete);
        }

        return ReplyWhenPersisted(default(ExchangeDeleteOk), delete.Nowait);
    }

    private Task? HandleExchangeBind(ExchangeBind bind)
    {
        CheckBindPermissions(bind.Destination, isQueue: false, bind.Source, MethodIds.ExchangeBind);
        var error = _virtualHost.BindExchange(bind.Destination, bind.Source, bind.RoutingKey, bind.Arguments ?? new FieldTable());
        if (error.IsError)
        {
            throw AmqpException.From(error, MethodIds.ExchangeBind);
        }

        return ReplyWhenPersisted(default(ExchangeBindOk), bind.Nowait);
    }

    private Task? HandleExchangeUnbind(ExchangeUnbind unbind)
    {
        CheckBindPermissions(unbind.Destination, isQueue: false, unbind.Source, MethodIds.ExchangeUnbind);
        var error = _virtualHost.UnbindExchange(unbind.Destination, unbind.Source, unbind.RoutingKey, unbind.Arguments ?? new FieldTable());
        if (error.IsError)
        {
            throw AmqpException.From(error, MethodIds.ExchangeUnbind);
        }

        return ReplyWhenPersisted(default(ExchangeUnbindOk), unbind.Nowait);
    }

    private void CheckConfigure(string name, bool isQueue, uint methodId)
    {
        if (!_permissions.CanConfigure(name))
        {
            throw AccessRefused(name, isQueue, methodId);
        }
    }

    private void CheckRead(string name, bool isQueue, uint methodId)
    {
        if (!_permissions.CanRead(name))
        {
            throw AccessRefused(name, isQueue, methodId);
        }
    }

    private void CheckWrite(string name, bool isQueue, uint methodId)
    {
        if (!_permissions.CanWrite(name))
        {
            throw AccessRefused(name, isQueue, methodId);
        }
    }

    /// <summary>Binding needs write on the destination and read on the source (rabbit_channel:binding_action).</summary>
    private void CheckBindPermissions(string destination, bool isQueue, string source, uint methodId)
    {
        CheckWrite(destination, isQueue, methodId);
        CheckRead(source, isQueue: false, methodId);
    }

    private AmqpException AccessRefused(string name, bool isQueue, uint methodId) => AmqpException.AccessRefused(
        $"access to {(isQueue ? "queue" : "exchange")} '{name}' in vhost '{_virtualHost.Name}' refused for user '{_connection.UserName}'", methodId);
}
