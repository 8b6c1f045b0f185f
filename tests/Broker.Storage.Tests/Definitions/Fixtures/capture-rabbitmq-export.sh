#!/usr/bin/env bash
# Captures rabbitmq-3.10-export.json (GET /api/definitions) and rabbitmq-3.10-ctl-export.json
# (rabbitmqctl export_definitions, which writes vhost metadata and some values as lists of pairs) from a running RabbitMQ (management API on 127.0.0.1:15672,
# guest/guest, node ref@localhost): creates a vhost and a user with everything the definitions carry
# beside topology (vhost metadata and limits, user tags and limits, permissions, topic permissions, a
# global parameter) and some topology, exports, keeps only those objects, replaces the cluster id,
# and deletes what it created. Needs curl, python3 and rabbitmqctl.
set -euo pipefail
api=http://127.0.0.1:15672/api
node=${RABBITMQ_NODE:-ref@localhost}
out=$(dirname "$0")/rabbitmq-3.10-export.json
ctl_out=$(dirname "$0")/rabbitmq-3.10-ctl-export.json
vhost=fixture-vhost user=fixture-user global=fixture_global
ctl() { rabbitmqctl -n "$node" "$@" >/dev/null; }
put() { curl -sf -u guest:guest -X PUT -H 'content-type: application/json' -d "$2" "$api/$1" >/dev/null; }
cleanup() {
  ctl delete_vhost "$vhost" || true
  ctl delete_user "$user" || true
  ctl clear_global_parameter "$global" || true
}
trap cleanup EXIT

ctl add_vhost "$vhost" --description "orders of the fixture" --tags "prod,eu" --default-queue-type quorum
ctl add_user "$user" fixture-pass
ctl set_user_tags "$user" monitoring management
ctl set_permissions -p "$vhost" "$user" '^fixture-.*' '.*' '.*'
ctl set_permissions -p "$vhost" guest '.*' '.*' '.*'
ctl set_topic_permissions -p "$vhost" "$user" amq.topic '^orders\.' '^orders\..*'
ctl set_topic_permissions -p "$vhost" "$user" events '^events\.' ''
ctl set_vhost_limits -p "$vhost" '{"max-connections": 100, "max-queues": 50}'
ctl set_user_limits "$user" '{"max-connections": 5, "max-channels": 20}'
ctl set_global_parameter "$global" '{"region": "eu-west", "replicas": [1, 2, 3], "enabled": true, "note": null}'
put "exchanges/$vhost/events" '{"type":"topic","durable":true,"arguments":{"alternate-exchange":"unrouted"}}'
put "exchanges/$vhost/unrouted" '{"type":"fanout","durable":true,"internal":true}'
put "queues/$vhost/jobs" '{"durable":true,"arguments":{"x-queue-type":"classic","x-max-length":1000,"x-dead-letter-exchange":"unrouted"}}'
put "queues/$vhost/orders" '{"durable":true,"arguments":{"x-queue-type":"quorum","x-delivery-limit":5}}'
curl -sf -u guest:guest -X POST -H 'content-type: application/json' -d '{"routing_key":"orders.#"}' "$api/bindings/$vhost/e/events/q/orders" >/dev/null
curl -sf -u guest:guest -X POST -H 'content-type: application/json' -d '{"routing_key":""}' "$api/bindings/$vhost/e/unrouted/q/jobs" >/dev/null
curl -sf -u guest:guest "$api/definitions" > "$out.raw"
rabbitmqctl -n "$node" export_definitions - --format json --silent > "$ctl_out.raw"

VHOST=$vhost USER_NAME=$user GLOBAL=$global python3 - "$out.raw" "$out" "$ctl_out.raw" "$ctl_out" <<'PY'
import json, os, sys
def scrub(d):
    vhost, user, glob = os.environ["VHOST"], os.environ["USER_NAME"], os.environ["GLOBAL"]
    mine = lambda items, key, value: [i for i in items if i.get(key) == value]
    for kind in ("permissions", "topic_permissions", "parameters", "policies", "queues", "exchanges", "bindings"):
        d[kind] = mine(d[kind], "vhost", vhost)
    d["users"] = mine(d["users"], "name", user)
    d["vhosts"] = mine(d["vhosts"], "name", vhost)
    # The cluster id is the node's own: keep the entry, not the value.
    d["global_parameters"] = [g if g["name"] != "internal_cluster_id" else {"name": g["name"], "value": "rabbitmq-cluster-id-FIXTURE"}
                              for g in d["global_parameters"] if g["name"] in (glob, "internal_cluster_id")]
    return d
for raw, out in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    with open(out, "w") as f:
        json.dump(scrub(json.load(open(raw))), f, indent=2)
        f.write("\n")
PY
rm "$out.raw" "$ctl_out.raw"
echo "wrote $out and $ctl_out"
