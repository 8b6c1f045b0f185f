#!/usr/bin/env bash
# Interop scenarios for amqp-tools (the command-line tools built on librabbitmq-c), run against the
# broker under test.
#
# Usage: amqp_tools_scenarios.sh AMQP_URI SCENARIO
#
# Prints "STEP ..." lines while it runs and "PASS amqp-tools:SCENARIO" when every check held; on any
# mismatch it prints the reason to stderr and exits non-zero. Queues are uniquely named and deleted.
set -euo pipefail

usage() {
    echo "usage: $0 AMQP_URI {declare_publish_get|consume_count|consume_exchange}" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
uri=$1
scenario=$2

# The harness passes URIs like amqp://guest:guest@127.0.0.1:5672/ and means the default virtual host "/",
# as pika, amqplib and the .NET client read them. librabbitmq follows the AMQP URI spec to the letter,
# where an empty path segment names the virtual host "": spell the default virtual host out for it.
if [[ $uri =~ ^amqps?://[^/]+/$ ]]; then
    uri="${uri}%2F"
fi

step() { echo "STEP $*"; }
fail() {
    echo "FAIL amqp-tools:$scenario: $*" >&2
    exit 1
}
expect_equal() { # actual expected what
    [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

unique() { echo "interop.amqp-tools.$1.$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }

created_queues=()
cleanup() {
    for queue in "${created_queues[@]}"; do
        amqp-delete-queue --url "$uri" -q "$queue" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

declared=""
declare_queue() { # name -> sets $declared to the declared name (not in a subshell: it records the queue for cleanup)
    declared=$(amqp-declare-queue --url "$uri" -q "$1") || fail "amqp-declare-queue -q '$1' failed"
    created_queues+=("$declared")
}

# amqp-get prints the body and exits 0, exits 2 when the queue is empty and 1 on errors.
get_body() { # queue -> body on stdout; exit status of amqp-get
    amqp-get --url "$uri" -q "$1"
}

expect_empty() { # queue what
    local status=0 output
    output=$(get_body "$1" 2>&1) || status=$?
    [[ $status -eq 2 ]] || fail "$2: amqp-get should report an empty queue (exit 2), got exit $status: $output"
}

echo "amqp-tools $(dpkg-query -W -f='${Version}' amqp-tools 2>/dev/null || echo '?'), scenario $scenario"

case "$scenario" in
declare_publish_get)
    name=$(unique get)
    declare_queue "$name"
    expect_equal "$declared" "$name" "amqp-declare-queue output"
    # Redeclaring is idempotent.
    declare_queue "$name"
    expect_equal "$declared" "$name" "amqp-declare-queue output on redeclare"
    step "amqp-declare-queue -q $name"

    declare_queue ""
    server_named=$declared
    [[ $server_named == amq.gen-* ]] || fail "server-named queue: got '$server_named'"
    step "amqp-declare-queue -q '' -> $server_named"

    expect_empty "$name" "new queue"
    step "amqp-get on an empty queue exits 2"

    amqp-publish --url "$uri" -r "$name" -b "hello from librabbitmq" -C text/plain -p -H "x-origin: shell" \
        || fail "amqp-publish failed"
    amqp-publish --url "$uri" -e "" -r "$name" -b "second message" || fail "amqp-publish failed"
    printf 'line one\nline two\nline three\n' | amqp-publish --url "$uri" -r "$name" -l || fail "amqp-publish -l failed"
    step "amqp-publish with -b and with -l (one message per line)"

    expect_equal "$(get_body "$name")" "hello from librabbitmq" "first amqp-get"
    expect_equal "$(get_body "$name")" "second message" "second amqp-get"
    for line in "line one" "line two" "line three"; do
        expect_equal "$(get_body "$name")" "$line" "amqp-get of a line-buffered message"
    done
    expect_empty "$name" "queue after getting every message"
    step "amqp-get returns the messages in order, then the queue is empty"

    status=0
    output=$(amqp-get --url "$uri" -q "$(unique missing)" 2>&1) || status=$?
    [[ $status -eq 1 && $output == *404* ]] || fail "amqp-get of a missing queue: expected exit 1 with 404, got exit $status: $output"
    step "amqp-get of a missing queue -> 404"

    amqp-delete-queue --url "$uri" -q "$server_named" >/dev/null || fail "amqp-delete-queue failed"
    status=0
    output=$(amqp-get --url "$uri" -q "$server_named" 2>&1) || status=$?
    [[ $status -eq 1 && $output == *404* ]] || fail "amqp-get after amqp-delete-queue: expected 404, got exit $status: $output"
    step "amqp-delete-queue"
    ;;

consume_count)
    declare_queue "$(unique consume)"
    name=$declared
    for i in 1 2 3 4 5 6; do
        amqp-publish --url "$uri" -r "$name" -b "message $i" || fail "amqp-publish failed"
    done
    step "published 6 messages"
    # amqp-consume runs the command once per message with the body on stdin; -c stops after that many.
    output=$(timeout 30 amqp-consume --url "$uri" -q "$name" -c 4 -p 2 -- sh -c 'cat; echo') \
        || fail "amqp-consume -c 4 failed (exit $?)"
    expect_equal "$output" $'message 1\nmessage 2\nmessage 3\nmessage 4' "amqp-consume -c 4 output"
    step "amqp-consume -c 4 -p 2 consumed 4 messages in order and stopped"
    expect_equal "$(get_body "$name")" "message 5" "message left after amqp-consume"
    output=$(timeout 30 amqp-consume --url "$uri" -q "$name" -c 1 -A -- cat) || fail "amqp-consume -A failed"
    expect_equal "$output" "message 6" "amqp-consume -c 1 -A output"
    expect_empty "$name" "queue after consuming everything"
    step "amqp-consume -A (no-ack); the acked messages are gone"
    ;;

consume_exchange)
    key="interop.$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    out=$(mktemp)
    # An exclusive server-named queue bound to amq.topic with a wildcard; wait for 3 matching messages.
    err=$(mktemp)
    timeout 30 amqp-consume --url "$uri" -e amq.topic -r "$key.*" -x -c 3 -- sh -c 'cat; echo' >"$out" 2>"$err" &
    consumer=$!
    # Publish probes until the consumer's binding exists (messages published before it are unroutable and
    # dropped); after each probe wait up to 5 s for it to show up, so that only one probe is consumed.
    sent=0
    sleep 0.3
    for attempt in 1 2 3 4 5; do
        amqp-publish --url "$uri" -e amq.topic -r "$key.probe" -b "probe $attempt" || fail "amqp-publish failed"
        for _ in $(seq 1 50); do
            if [[ -s $out ]]; then
                sent=1
                break 2
            fi
            sleep 0.1
        done
    done
    [[ $sent -eq 1 ]] || fail "amqp-consume never received a probe: $(cat "$out" "$err")"
    amqp-publish --url "$uri" -e amq.topic -r "$key.not.matched" -b "too deep" || fail "amqp-publish failed"
    amqp-publish --url "$uri" -e amq.topic -r "$key.a" -b "first" || fail "amqp-publish failed"
    amqp-publish --url "$uri" -e amq.topic -r "$key.b" -b "second" || fail "amqp-publish failed"
    status=0
    wait $consumer || status=$?
    [[ $status -eq 0 ]] || fail "amqp-consume exited $status: $(cat "$out" "$err")"
    cat "$err"
    mapfile -t lines <"$out"
    rm -f "$out" "$err"
    expect_equal "${#lines[@]}" 3 "messages consumed (${lines[*]})"
    [[ ${lines[0]} == probe* ]] || fail "first consumed message should be a probe: ${lines[0]}"
    expect_equal "${lines[1]}|${lines[2]}" "first|second" "messages consumed after the probe"
    step "amqp-consume -e amq.topic -r '$key.*' -x -c 3: topic wildcard binding on an exclusive queue"
    ;;

*)
    usage
    ;;
esac

echo "PASS amqp-tools:$scenario"
