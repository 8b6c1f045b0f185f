namespace Broker.Cli;

/// <summary>The text of <c>broker admin --help</c>.</summary>
internal static class CliUsage
{
    public const string Text = """
        broker admin: manage a broker (or RabbitMQ) over its management HTTP API.

        Usage: broker admin [options] COMMAND [KIND] [NAME] [options]

        Listing (all vhosts, or one with --vhost):
          list queues|exchanges|bindings|connections|channels|consumers|vhosts|users|permissions|policies
                [--vhost V] [--columns a,b.c] [--page-size N (1-500, default 500)]
          status                                  version, node, object and message totals, rates
        Queues and exchanges (in --vhost, default /):
          declare queue NAME [--type classic|quorum|stream] [--durable=false] [--auto-delete]
                [--arguments JSON]
          declare exchange NAME [--type direct|fanout|topic|headers|...] [--durable=false]
                [--auto-delete] [--internal] [--arguments JSON]
          declare binding --source EXCHANGE --destination NAME [--destination-type queue|exchange]
                [--routing-key KEY] [--arguments JSON]
          delete queue NAME [--if-unused] [--if-empty]
          delete exchange NAME [--if-unused]
          delete binding --source EXCHANGE --destination NAME [--destination-type queue|exchange]
                [--routing-key KEY] [--arguments JSON]
          purge queue NAME
          publish --routing-key KEY [--exchange NAME] [--payload TEXT]
                [--payload-encoding string|base64] [--properties JSON]
          get queue NAME [--count N] [--encoding auto|base64]
                [--ackmode ack_requeue_true|ack_requeue_false|reject_requeue_true|reject_requeue_false]
                (default ack_requeue_true: the messages stay in the queue)
        Connections:
          close connection NAME [--reason TEXT]   NAME as list connections shows it
        Users, vhosts, permissions, policies:
          add user NAME --password P [--tags administrator,monitoring,...]
                (after the command --password is the new user's; give yours before it, in the URL
                or in BROKER_ADMIN_PASSWORD)
          add vhost NAME [--description TEXT] [--default-queue-type classic|quorum|stream]
          set permissions USER --configure RE --write RE --read RE [--vhost V]
          set policy NAME --pattern RE --definition JSON [--priority N]
                [--apply-to queues|exchanges|all|classic_queues|quorum_queues|streams] [--vhost V]
          set tracing on|off [--vhost V]
          delete vhost|user NAME
          delete policy NAME [--vhost V]
          delete permissions USER [--vhost V]
        Definitions (the whole broker, or one vhost with --vhost):
          export definitions [FILE]               to stdout without FILE
          import definitions FILE
        Health checks (exit 0 when healthy):
          check alarms | local-alarms | virtual-hosts | port-listener PORT | aliveness VHOST

        Options:
          --url URL          the management API (default http://127.0.0.1:15672/, or
                             BROKER_MANAGEMENT_URL); credentials may be in it:
                             http://user:password@host:15672/
          --user NAME        (default guest, or BROKER_ADMIN_USER)
          --password P       (default guest, or BROKER_ADMIN_PASSWORD)
          --vhost V          the vhost, as a name: / is sent as %2F
          --format F         table (aligned columns, the default) or json (the API's JSON as it is)
          --timeout SECONDS  how long to wait for an answer (default 30)
          --help             this text
          --                 ends options, for names that start with a dash
        Options go anywhere; --name=value works as --name value, and --flag=false turns a flag off.

        Exit codes: 0 done (healthy); 1 the API refused or failed the command, or a check found
        the broker unhealthy; 64 wrong command line; 69 cannot reach the management API;
        77 not authorised (401/403). Errors are one line on stderr.

        Examples:
          broker admin list queues --vhost /
          broker admin declare queue orders --type quorum --arguments '{"x-delivery-limit": 5}'
          broker admin set policy ttl --pattern '^tmp\.' --definition '{"message-ttl": 60000}'
          broker admin --format json list connections | jq -r '.[].name'
          broker admin check port-listener 5672 && echo listening
        """;
}
