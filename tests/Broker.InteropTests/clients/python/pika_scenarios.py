#!/usr/bin/python3
"""Interop scenarios for pika (the Python AMQP 0-9-1 client), run against the broker under test.

Usage: pika_scenarios.py AMQP_URI SCENARIO

Prints "STEP ..." lines while it runs and "PASS pika:SCENARIO" when every check held; on any
mismatch it prints the reason to stderr and exits non-zero. Every scenario uses its own uniquely
named queues and exchanges and deletes what it declared (or declares it exclusive/auto-delete).
"""

import datetime
import decimal
import hashlib
import os
import sys
import time
import traceback
import uuid

import struct

import pika
import pika.data
import pika.exceptions

SCENARIOS = {}


def _fix_pika_field_codec():
    """Work around pika 1.2 field-table bugs so header tables can carry floats and negative longs:
    it cannot encode Python floats (newer pika encodes them as 'd'), it decodes 'd' and 'f' through
    long() (truncating 3.25 to 3) and it decodes 'l' as unsigned. These are client bugs, not broker
    behaviour; the bytes on the wire are what RabbitMQ clients expect."""
    original_encode = pika.data.encode_value
    original_decode = pika.data.decode_value

    def encode_value(pieces, value):
        if isinstance(value, float):
            pieces.append(struct.pack(">cd", b"d", value))
            return 9
        return original_encode(pieces, value)

    def decode_value(encoded, offset):
        kind = encoded[offset:offset + 1]
        if kind == b"d":
            return struct.unpack_from(">d", encoded, offset + 1)[0], offset + 9
        if kind == b"f":
            return struct.unpack_from(">f", encoded, offset + 1)[0], offset + 5
        if kind == b"l":
            return struct.unpack_from(">q", encoded, offset + 1)[0], offset + 9
        return original_decode(encoded, offset)

    pika.data.encode_value = encode_value
    pika.data.decode_value = decode_value


_fix_pika_field_codec()


def scenario(func):
    SCENARIOS[func.__name__] = func
    return func


class Failure(Exception):
    pass


def step(message):
    print("STEP " + message, flush=True)


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise Failure("%s: expected %r, got %r" % (what, expected, actual))


NAMES = []


def unique(kind):
    name = "interop.pika.%s.%s" % (kind, uuid.uuid4().hex[:12])
    NAMES.append(name)
    return name


def cleanup(uri):
    """Best effort: deletes every queue and exchange a scenario may have left behind (e.g. after a failure)."""
    try:
        connection = connect(uri)
        channel = connection.channel()
        for name in NAMES:
            for method in ("queue_delete", "exchange_delete"):
                try:
                    getattr(channel, method)(name)
                except pika.exceptions.ChannelClosedByBroker:
                    channel = connection.channel()
        connection.close()
    except Exception as error:  # noqa: BLE001 - cleanup must not mask the scenario's result
        print("cleanup failed: %r" % error, file=sys.stderr)


def connect(uri, **query):
    if query:
        separator = "&" if "?" in uri else "?"
        uri = uri + separator + "&".join("%s=%s" % item for item in query.items())
    params = pika.URLParameters(uri)
    params.connection_attempts = 1
    params.socket_timeout = 10
    params.blocked_connection_timeout = 30
    return pika.BlockingConnection(params)


def get_all(channel, queue, limit=100):
    """basic.get with auto-ack until the queue is empty; returns the bodies in order."""
    bodies = []
    while len(bodies) < limit:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(body)
    raise Failure("queue %s never became empty" % queue)


def message_count(connection, queue):
    channel = connection.channel()
    try:
        return channel.queue_declare(queue, passive=True).method.message_count
    finally:
        channel.close()


def wait_for_count(channel, queue, expected, what, seconds=5):
    """Polls queue.declare(passive) until message_count == expected. RabbitMQ answers queue.declare ahead of
    deliveries still in flight to the queue (a publish followed by a passive declare on the same channel can
    report the old count), so a count read right after publishing must be polled."""
    deadline = time.time() + seconds
    while True:
        count = channel.queue_declare(queue, passive=True).method.message_count
        if count == expected or time.time() > deadline:
            check_equal(count, expected, what)
            return
        time.sleep(0.05)


def settled_count(connection, queue):
    """message_count once in-flight operations have had time to land (for counts expected to stay put)."""
    time.sleep(0.3)
    return message_count(connection, queue)


def expect_channel_error(code, action, what):
    try:
        action()
    except pika.exceptions.ChannelClosedByBroker as error:
        check_equal(error.reply_code, code, what + " reply code (" + str(error.reply_text) + ")")
        step("%s -> channel closed %d %s" % (what, error.reply_code, error.reply_text))
        return error
    raise Failure("%s: expected the channel to be closed with %d, but the call succeeded" % (what, code))


@scenario
def exchanges(uri):
    """Exchanges of the four types, queue bindings and routing through each of them."""
    connection = connect(uri)
    channel = connection.channel()
    channel.confirm_delivery()  # publishes return once routed
    names = {kind: unique(kind) for kind in ("direct", "fanout", "topic", "headers")}
    for kind, name in names.items():
        channel.exchange_declare(name, exchange_type=kind, durable=False, auto_delete=False)
        channel.exchange_declare(name, passive=True)
    step("declared direct, fanout, topic and headers exchanges")

    q1 = channel.queue_declare(unique("q1"), exclusive=True).method.queue
    q2 = channel.queue_declare(unique("q2"), exclusive=True).method.queue

    # direct
    channel.queue_bind(q1, names["direct"], routing_key="rk.a")
    channel.basic_publish(names["direct"], "rk.a", b"direct-a")
    channel.basic_publish(names["direct"], "rk.b", b"direct-b")
    check_equal(get_all(channel, q1), [b"direct-a"], "direct routing to q1")
    check_equal(get_all(channel, q2), [], "direct routing to q2")
    step("direct exchange routes by exact routing key")

    # fanout
    channel.queue_bind(q1, names["fanout"])
    channel.queue_bind(q2, names["fanout"], routing_key="ignored")
    channel.basic_publish(names["fanout"], "whatever", b"fan")
    check_equal(get_all(channel, q1), [b"fan"], "fanout to q1")
    check_equal(get_all(channel, q2), [b"fan"], "fanout to q2")
    step("fanout exchange routes to every bound queue")

    # topic
    channel.queue_bind(q1, names["topic"], routing_key="a.*.c")
    channel.queue_bind(q2, names["topic"], routing_key="a.#")
    for key in ("a.b.c", "a.b.b", "a", "b.b.c", "a.x.y.c"):
        channel.basic_publish(names["topic"], key, key.encode())
    check_equal(get_all(channel, q1), [b"a.b.c"], "topic a.*.c")
    check_equal(get_all(channel, q2), [b"a.b.c", b"a.b.b", b"a", b"a.x.y.c"], "topic a.#")
    step("topic exchange routes with * and # wildcards")

    # headers
    channel.queue_bind(q1, names["headers"], arguments={"x-match": "all", "h1": "v1", "h2": 2})
    channel.queue_bind(q2, names["headers"], arguments={"x-match": "any", "h1": "v1", "h3": "x"})
    cases = [
        ({"h1": "v1", "h2": 2}, b"all"),
        ({"h1": "v1"}, b"h1-only"),
        ({"h3": "x", "h2": 2}, b"h3-h2"),
        ({"h2": 3, "h1": "v2"}, b"none"),
        (None, b"no-headers"),
    ]
    for headers, body in cases:
        channel.basic_publish(names["headers"], "", body, pika.BasicProperties(headers=headers))
    check_equal(get_all(channel, q1), [b"all"], "headers x-match=all")
    check_equal(get_all(channel, q2), [b"all", b"h1-only", b"h3-h2"], "headers x-match=any")
    step("headers exchange matches with x-match all and any")

    # unbind
    channel.queue_unbind(q1, names["direct"], routing_key="rk.a")
    channel.basic_publish(names["direct"], "rk.a", b"after-unbind")
    check_equal(get_all(channel, q1), [], "direct routing after queue.unbind")
    step("queue.unbind stops routing")

    for name in names.values():
        channel.exchange_delete(name)
    expect_channel_error(404, lambda: channel.exchange_declare(names["direct"], passive=True),
                         "passive declare of a deleted exchange")
    connection.close()


@scenario
def properties(uri):
    """Every basic property, with a header table of nested values, survives publish and deliver."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("props"), exclusive=True).method.queue
    headers = {
        "str": "hello",
        "unicode": "h\u00e9llo \u2713",
        "int": 42,
        "negative": -7,
        "long": 2 ** 40,
        "negative_long": -(2 ** 40),
        "true": True,
        "false": False,
        "float": 3.25,
        "decimal": decimal.Decimal("1.5"),
        "timestamp": datetime.datetime(2020, 1, 2, 3, 4, 5),
        "void": None,
        "bytes": b"\x00\x01\xff",
        "nested": {"a": 1, "b": {"c": "deep", "d": [1, 2]}},
        "array": [1, "two", True, 2.5, {"k": "v"}, [3, "four"]],
        "empty_table": {},
        "empty_array": [],
    }
    timestamp = int(time.time())
    sent = pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        headers=headers,
        delivery_mode=2,
        priority=5,
        correlation_id="corr-" + uuid.uuid4().hex,
        reply_to="reply.queue",
        expiration="60000",
        message_id="msg-" + uuid.uuid4().hex,
        timestamp=timestamp,
        type="interop.test",
        user_id="guest",
        app_id="pika-interop",
    )
    body = '{"hello": "world"}'.encode()
    names = ("content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id",
             "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id")

    def compare(received, how):
        for name in names:
            check_equal(getattr(received, name), getattr(sent, name), "%s: property %s" % (how, name))
        check_equal(received.cluster_id, None, how + ": property cluster_id")

    channel.basic_publish("", queue, body, sent)
    channel.basic_publish("", queue, body, sent)

    deliveries = []

    def on_message(ch, method, props, received_body):
        deliveries.append((method, props, received_body))
        ch.basic_ack(method.delivery_tag)
        if len(deliveries) == 1:
            ch.stop_consuming()

    tag = channel.basic_consume(queue, on_message, consumer_tag="pika-props-consumer")
    check_equal(tag, "pika-props-consumer", "consumer tag")
    deadline = time.time() + 10
    while not deliveries and time.time() < deadline:
        connection.process_data_events(time_limit=0.2)
    check(deliveries, "no delivery within 10 s")
    channel.basic_cancel(tag)
    method, props, received_body = deliveries[0]
    check_equal(received_body, body, "delivered body")
    check_equal(method.routing_key, queue, "delivered routing key")
    check_equal(method.exchange, "", "delivered exchange")
    check_equal(method.redelivered, False, "delivered redelivered flag")
    check_equal(method.consumer_tag, tag, "delivered consumer tag")
    compare(props, "basic.deliver")
    step("basic.deliver carries every property and the header table unchanged")

    method, props, received_body = channel.basic_get(queue, auto_ack=True)
    check(method is not None, "basic.get returned nothing")
    check_equal(received_body, body, "basic.get body")
    compare(props, "basic.get-ok")
    step("basic.get-ok carries every property unchanged")

    # A message with no properties at all.
    channel.basic_publish("", queue, b"", pika.BasicProperties())
    method, props, received_body = channel.basic_get(queue, auto_ack=True)
    check_equal(received_body, b"", "empty body")
    for name in names:
        check_equal(getattr(props, name), None, "empty properties: " + name)
    step("an empty message with no properties round-trips")

    def publish_as_someone_else():
        channel.basic_publish("", queue, b"x", pika.BasicProperties(user_id="someone-else"))
        channel.queue_declare(queue, passive=True)  # the channel.close arrives asynchronously

    expect_channel_error(406, publish_as_someone_else, "publish with a user_id that is not the connection's user")
    connection.close()


@scenario
def basic_get(uri):
    """basic.get on an empty queue, message counts, manual ack of a got message."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("get"), exclusive=True).method.queue
    method, props, body = channel.basic_get(queue)
    check(method is None and props is None and body is None, "basic.get on an empty queue returned a message")
    step("basic.get-empty on an empty queue")

    for i in range(3):
        channel.basic_publish("", queue, ("m%d" % i).encode())
    wait_for_count(channel, queue, 3, "message_count after 3 publishes")

    method, _props, body = channel.basic_get(queue, auto_ack=False)
    check_equal(body, b"m0", "first body")
    check_equal(method.message_count, 2, "basic.get-ok message_count")
    check_equal(method.redelivered, False, "redelivered")
    check_equal(method.exchange, "", "exchange")
    check_equal(method.routing_key, queue, "routing key")
    channel.basic_ack(method.delivery_tag)

    method, _props, body = channel.basic_get(queue, auto_ack=True)
    check_equal((body, method.message_count), (b"m1", 1), "second get")
    method, _props, body = channel.basic_get(queue, auto_ack=False)
    check_equal((body, method.message_count), (b"m2", 0), "third get")
    # Not acked: closing the channel returns it to the queue.
    channel.close()
    channel = connection.channel()
    method, _props, body = channel.basic_get(queue, auto_ack=True)
    check_equal(body, b"m2", "unacked message requeued when its channel closed")
    check_equal(method.redelivered, True, "redelivered flag after channel close")
    step("basic.get-ok message counts, ack, and requeue of an unacked message on channel close")
    connection.close()


@scenario
def ack_nack_reject(uri):
    """reject/nack with and without requeue, multiple ack/nack, and the redelivered flag."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("acks"), exclusive=True).method.queue
    for name in ("m1", "m2", "m3", "m4"):
        channel.basic_publish("", queue, name.encode())

    method, _p, body = channel.basic_get(queue)
    check_equal((body, method.redelivered), (b"m1", False), "first get")
    channel.basic_reject(method.delivery_tag, requeue=True)
    method, _p, body = channel.basic_get(queue)
    check_equal((body, method.redelivered), (b"m1", True), "get after reject(requeue=True)")
    channel.basic_ack(method.delivery_tag)
    step("basic.reject requeue=True puts the message back at the head, redelivered")

    method, _p, body = channel.basic_get(queue)
    check_equal(body, b"m2", "get m2")
    channel.basic_nack(method.delivery_tag, multiple=False, requeue=True)
    method, _p, body = channel.basic_get(queue)
    check_equal((body, method.redelivered), (b"m2", True), "get after nack(requeue=True)")
    channel.basic_nack(method.delivery_tag, multiple=False, requeue=False)
    step("basic.nack requeue=True redelivers, requeue=False drops")

    method, _p, body = channel.basic_get(queue)
    check_equal((body, method.redelivered), (b"m3", False), "get m3")
    channel.basic_reject(method.delivery_tag, requeue=False)
    method, _p, body = channel.basic_get(queue)
    check_equal(body, b"m4", "get m4 (m2 and m3 were dropped)")
    channel.basic_ack(method.delivery_tag)
    check_equal(channel.basic_get(queue)[0], None, "queue empty")
    step("basic.reject requeue=False drops")

    # multiple=True ack and nack through a consumer
    for i in range(3):
        channel.basic_publish("", queue, ("n%d" % i).encode())
    received = []
    channel.basic_consume(queue, lambda ch, m, p, b: received.append((m, b)), consumer_tag="acks-consumer")
    deadline = time.time() + 10
    while len(received) < 3 and time.time() < deadline:
        connection.process_data_events(time_limit=0.2)
    check_equal([b for _m, b in received], [b"n0", b"n1", b"n2"], "consumed bodies")
    channel.basic_nack(received[-1][0].delivery_tag, multiple=True, requeue=True)
    deadline = time.time() + 10
    while len(received) < 6 and time.time() < deadline:
        connection.process_data_events(time_limit=0.2)
    check_equal([b for _m, b in received[3:]], [b"n0", b"n1", b"n2"], "redelivered after nack multiple")
    check(all(m.redelivered for m, _b in received[3:]), "redelivered flag after nack multiple")
    step("basic.nack multiple=True requeue=True redelivers all outstanding deliveries")
    channel.basic_ack(received[-1][0].delivery_tag, multiple=True)
    channel.basic_cancel("acks-consumer")
    channel.close()
    check_equal(settled_count(connection, queue), 0, "messages left after ack multiple and channel close")
    step("basic.ack multiple=True acknowledges all outstanding deliveries")

    # basic.recover requeue=True puts every unacknowledged message of the channel back.
    channel = connection.channel()
    channel.basic_publish("", queue, b"r1")
    channel.basic_publish("", queue, b"r2")
    first = channel.basic_get(queue)
    second = channel.basic_get(queue)
    check_equal([first[2], second[2]], [b"r1", b"r2"], "gets before basic.recover")
    channel.basic_recover(requeue=True)
    again = [channel.basic_get(queue) for _ in range(2)]
    check_equal([(m.redelivered, body) for m, _p, body in again], [(True, b"r1"), (True, b"r2")],
                "gets after basic.recover (redelivered, body)")
    channel.basic_ack(again[-1][0].delivery_tag, multiple=True)
    step("basic.recover requeue=True requeues the unacked messages, redelivered")
    connection.close()


@scenario
def confirms(uri):
    """Publisher confirms: acks for routed messages, basic.return then ack for unroutable mandatory ones."""
    connection = connect(uri)
    channel = connection.channel()
    channel.confirm_delivery()
    queue = channel.queue_declare(unique("confirm"), exclusive=True).method.queue
    for i in range(20):
        channel.basic_publish("", queue, ("c%d" % i).encode(), mandatory=True)
    wait_for_count(channel, queue, 20, "messages after confirmed publishes")
    step("20 confirmed publishes acked")

    exchange = unique("confirm-x")
    channel.exchange_declare(exchange, exchange_type="direct", auto_delete=False)
    try:
        channel.basic_publish(exchange, "nowhere", b"lost", mandatory=True)
    except pika.exceptions.UnroutableError as error:
        check_equal(len(error.messages), 1, "returned messages")
        returned = error.messages[0]
        check_equal(returned.body, b"lost", "returned body")
        check_equal(returned.method.reply_code, 312, "basic.return reply code")
        check_equal(returned.method.reply_text, "NO_ROUTE", "basic.return reply text")
        check_equal(returned.method.exchange, exchange, "basic.return exchange")
        check_equal(returned.method.routing_key, "nowhere", "basic.return routing key")
        step("mandatory unroutable publish -> UnroutableError (basic.return 312 NO_ROUTE)")
    else:
        raise Failure("mandatory publish to an unbound exchange did not raise UnroutableError")

    channel.basic_publish(exchange, "nowhere", b"dropped", mandatory=False)
    step("non-mandatory unroutable publish is confirmed silently")
    channel.basic_publish("", queue, b"after", mandatory=True)
    wait_for_count(channel, queue, 21, "messages after the returns")
    channel.exchange_delete(exchange)

    expect_channel_error(404, lambda: channel.basic_publish(unique("missing-x"), "k", b"x"),
                         "confirmed publish to a missing exchange")
    check(connection.is_open, "connection closed after a channel error")
    connection.close()


@scenario
def prefetch(uri):
    """basic.qos prefetch_count limits the number of unacknowledged deliveries."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("qos"), exclusive=True).method.queue
    for i in range(6):
        channel.basic_publish("", queue, ("p%d" % i).encode())
    channel.basic_qos(prefetch_count=2)
    received = []
    channel.basic_consume(queue, lambda ch, m, p, b: received.append((m, b)))

    def pump(seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            connection.process_data_events(time_limit=0.1)

    def pump_until(count, what):
        """Waits (up to 10 s) for `count` deliveries, then 0.5 s more so that extra deliveries would show up."""
        deadline = time.time() + 10
        while len(received) < count and time.time() < deadline:
            connection.process_data_events(time_limit=0.1)
        pump(0.5)
        check_equal([b for _m, b in received], [("p%d" % i).encode() for i in range(count)], what)

    pump_until(2, "deliveries with prefetch 2 and nothing acked")
    step("prefetch_count=2: two deliveries in flight")
    channel.basic_ack(received[0][0].delivery_tag)
    pump_until(3, "deliveries after one ack")
    step("one ack lets one more delivery through")
    channel.basic_ack(received[-1][0].delivery_tag, multiple=True)
    pump_until(5, "deliveries after acking everything outstanding")
    channel.basic_ack(received[-1][0].delivery_tag, multiple=True)
    pump_until(6, "all deliveries in order")
    channel.basic_ack(received[-1][0].delivery_tag, multiple=True)
    step("acks (multiple) release the rest, in order")

    # A new consumer with prefetch 0 (unlimited) gets everything at once.
    channel2 = connection.channel()
    channel2.basic_qos(prefetch_count=0)
    for i in range(10):
        channel2.basic_publish("", queue, b"u")
    more = []
    channel.basic_cancel(received[0][0].consumer_tag)
    channel2.basic_consume(queue, lambda ch, m, p, b: more.append(m))
    deadline = time.time() + 10
    while len(more) < 10 and time.time() < deadline:
        connection.process_data_events(time_limit=0.1)
    check_equal(len(more), 10, "unacked deliveries with prefetch 0")
    step("prefetch_count=0 is unlimited")
    connection.close()


@scenario
def channel_error(uri):
    """A channel-level error closes only the channel; the connection stays usable."""
    connection = connect(uri)
    channel = connection.channel()
    missing = unique("missing")
    error = expect_channel_error(404, lambda: channel.queue_declare(missing, passive=True),
                                 "passive declare of a missing queue")
    check("NOT_FOUND" in error.reply_text, "reply text should start with NOT_FOUND: %r" % error.reply_text)
    check(channel.is_closed, "channel still open after the error")
    check(connection.is_open, "connection closed after a channel error")

    channel = connection.channel()
    queue = channel.queue_declare(unique("after-error"), exclusive=True).method.queue
    channel.basic_publish("", queue, b"still-works")
    check_equal(channel.basic_get(queue, auto_ack=True)[2], b"still-works", "round trip on a new channel")
    step("a new channel on the same connection works")

    exchange = unique("typed")
    channel.exchange_declare(exchange, exchange_type="direct")
    error = expect_channel_error(406, lambda: channel.exchange_declare(exchange, exchange_type="fanout"),
                                 "redeclare of an exchange with another type")
    check("PRECONDITION_FAILED" in error.reply_text, "reply text: %r" % error.reply_text)

    channel = connection.channel()
    channel.exchange_delete(exchange)
    step("the connection survives several channel errors")

    # ack with an unknown delivery tag -> 406 PRECONDITION_FAILED; seen on the next round trip.
    channel = connection.channel()
    channel.basic_ack(424242)

    def sync_call():
        channel.queue_declare(queue, passive=True)
        connection.process_data_events(time_limit=0.5)
        channel.queue_declare(queue, passive=True)

    expect_channel_error(406, sync_call, "ack of an unknown delivery tag")
    check(connection.is_open, "connection closed after the unknown-delivery-tag error")
    connection.close()


@scenario
def tx(uri):
    """tx.select / tx.commit / tx.rollback for publishes and acks."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("tx"), exclusive=True).method.queue
    channel.tx_select()
    channel.basic_publish("", queue, b"rolled-back")
    check_equal(settled_count(connection, queue), 0, "uncommitted publish visible")
    channel.tx_rollback()
    check_equal(settled_count(connection, queue), 0, "rolled back publish visible")
    step("tx.rollback discards publishes")

    channel.basic_publish("", queue, b"committed-1")
    channel.basic_publish("", queue, b"committed-2")
    channel.tx_commit()
    wait_for_count(channel, queue, 2, "messages after tx.commit")
    step("tx.commit makes publishes visible")

    method, _p, body = channel.basic_get(queue)
    check_equal(body, b"committed-1", "get in tx")
    channel.basic_ack(method.delivery_tag)
    channel.tx_rollback()
    # The ack was rolled back: the message is still unacknowledged on this channel.
    channel.basic_ack(method.delivery_tag)
    channel.tx_commit()
    method, _p, body = channel.basic_get(queue)
    check_equal(body, b"committed-2", "second get in tx")
    channel.basic_ack(method.delivery_tag)
    channel.tx_commit()
    channel.close()
    check_equal(settled_count(connection, queue), 0, "messages left after acks were committed")
    step("acks are transactional too")

    # tx.commit without tx.select is a channel error (406 PRECONDITION_FAILED).
    channel = connection.channel()
    expect_channel_error(406, channel.tx_commit, "tx.commit on a non-transactional channel")
    connection.close()


@scenario
def large_message(uri):
    """A 5 MiB body is split into frames and reassembled unchanged, via basic.get and basic.consume."""
    connection = connect(uri)
    channel = connection.channel()
    channel.confirm_delivery()
    queue = channel.queue_declare(unique("large"), exclusive=True).method.queue
    body = os.urandom(5 * 1024 * 1024)
    digest = hashlib.sha256(body).hexdigest()
    frame_max = connection._impl.params.frame_max
    step("negotiated frame_max %d" % frame_max)
    channel.basic_publish("", queue, body, pika.BasicProperties(message_id=digest))
    channel.basic_publish("", queue, body, pika.BasicProperties(message_id=digest))
    method, props, received = channel.basic_get(queue, auto_ack=True)
    check(method is not None, "no message")
    check_equal(len(received), len(body), "basic.get body length")
    check_equal(hashlib.sha256(received).hexdigest(), digest, "basic.get body sha256")
    check_equal(props.message_id, digest, "message_id")
    step("5 MiB via basic.get")
    got = []
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    deadline = time.time() + 30
    while not got and time.time() < deadline:
        connection.process_data_events(time_limit=0.2)
    check(got, "no delivery of the large message within 30 s")
    check_equal(hashlib.sha256(got[0]).hexdigest(), digest, "basic.deliver body sha256")
    step("5 MiB via basic.deliver")
    connection.close()


@scenario
def heartbeat(uri):
    """heartbeat=2 is negotiated; an idle connection is kept alive by heartbeats in both directions."""
    connection = connect(uri, heartbeat=2)
    negotiated = connection._impl.params.heartbeat
    check_equal(negotiated, 2, "negotiated heartbeat")
    step("negotiated heartbeat %d s" % negotiated)
    checker = connection._impl._heartbeat_checker
    check(checker is not None, "pika did not start its heartbeat checker")
    channel = connection.channel()
    queue = channel.queue_declare(unique("hb"), exclusive=True).method.queue
    # pika closes the connection if it receives nothing for timeout + 5 = 7 s, and sends heartbeats every 1 s:
    # stay idle for 9 s.
    deadline = time.time() + 9
    while time.time() < deadline:
        connection.process_data_events(time_limit=0.5)
        check(connection.is_open, "connection closed while idle")
    received = checker._heartbeat_frames_received
    sent = checker._heartbeat_frames_sent
    step("idle for 9 s: %d heartbeats received, %d sent" % (received, sent))
    check(received >= 3, "the broker sent only %d heartbeat frames in 9 s with heartbeat=2" % received)
    check(sent >= 3, "pika sent only %d heartbeat frames" % sent)
    channel.basic_publish("", queue, b"alive")
    check_equal(channel.basic_get(queue, auto_ack=True)[2], b"alive", "round trip after idling")
    connection.close()


@scenario
def consumer_lifecycle(uri):
    """basic.consume / basic.cancel, server-generated consumer tags, exclusive consumers."""
    connection = connect(uri)
    channel = connection.channel()
    queue = channel.queue_declare(unique("consumers"), exclusive=True).method.queue
    got = []
    tag = channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    check(tag, "empty consumer tag")
    check_equal(channel.queue_declare(queue, passive=True).method.consumer_count, 1, "consumer_count")
    channel.basic_publish("", queue, b"one")
    deadline = time.time() + 10
    while not got and time.time() < deadline:
        connection.process_data_events(time_limit=0.2)
    check_equal(got, [b"one"], "consumed")
    channel.basic_cancel(tag)
    check_equal(channel.queue_declare(queue, passive=True).method.consumer_count, 0, "consumer_count after cancel")
    channel.basic_publish("", queue, b"two")
    connection.process_data_events(time_limit=0.5)
    check_equal(got, [b"one"], "delivery after basic.cancel")
    wait_for_count(channel, queue, 1, "message kept after cancel")
    step("basic.cancel stops deliveries")

    channel.basic_consume(queue, lambda ch, m, p, b: None, consumer_tag="exclusive-one", exclusive=True)
    other = connection.channel()
    expect_channel_error(403, lambda: other.basic_consume(queue, lambda ch, m, p, b: None),
                         "second consumer on a queue with an exclusive consumer")
    step("an exclusive consumer excludes other consumers")
    connection.close()


@scenario
def queue_ops(uri):
    """queue.declare-ok counts, queue.purge, queue.delete if_empty / if_unused."""
    connection = connect(uri)
    channel = connection.channel()
    name = unique("ops")
    ok = channel.queue_declare(name, auto_delete=False, durable=False)
    check_equal((ok.method.queue, ok.method.message_count, ok.method.consumer_count), (name, 0, 0), "declare-ok")
    for _ in range(4):
        channel.basic_publish("", name, b"x")
    wait_for_count(channel, name, 4, "message_count after 4 publishes")
    ok = channel.queue_declare(name, auto_delete=False, durable=False)
    check_equal(ok.method.message_count, 4, "declare-ok message_count on redeclare")
    check_equal(channel.queue_purge(name).method.message_count, 4, "purge-ok message_count")
    check_equal(channel.queue_declare(name, passive=True).method.message_count, 0, "count after purge")
    step("queue.purge returns the number of purged messages")

    channel.basic_publish("", name, b"y")
    expect_channel_error(406, lambda: channel.queue_delete(name, if_empty=True), "queue.delete if_empty on a non-empty queue")
    channel = connection.channel()
    tag = channel.basic_consume(name, lambda ch, m, p, b: None)
    expect_channel_error(406, lambda: channel.queue_delete(name, if_unused=True), "queue.delete if_unused on a consumed queue")
    channel = connection.channel()
    check_equal(channel.queue_delete(name).method.message_count, 1, "delete-ok message_count")
    expect_channel_error(404, lambda: channel.queue_declare(name, passive=True), "passive declare of a deleted queue")
    step("queue.delete with if_empty / if_unused and delete-ok counts")
    del tag
    connection.close()


@scenario
def quorum_delivery_limit(uri):
    """A quorum queue counts returns in x-delivery-count and dead-letters past x-delivery-limit."""
    connection = connect(uri)
    channel = connection.channel()
    channel.confirm_delivery()
    dead = unique("dlq")
    channel.queue_declare(dead, durable=True)
    queue = unique("quorum")
    channel.queue_declare(queue, durable=True, arguments={
        "x-queue-type": "quorum", "x-delivery-limit": 1,
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead})
    channel.basic_publish("", queue, b"poison", pika.BasicProperties(headers={"app": "kept"}))
    channel.basic_qos(prefetch_count=1)
    received = []
    channel.basic_consume(queue, lambda ch, m, p, b: received.append((m, p)))

    def next_delivery(what):
        deadline = time.time() + 10
        while not received and time.time() < deadline:
            connection.process_data_events(time_limit=0.1)
        check(received, "no delivery: " + what)
        return received.pop(0)

    method, properties = next_delivery("first delivery")
    check_equal((properties.headers or {}).get("x-delivery-count"), None, "x-delivery-count on the first delivery")
    channel.basic_nack(method.delivery_tag, requeue=True)
    method, properties = next_delivery("redelivery")
    check_equal((method.redelivered, properties.headers.get("x-delivery-count")), (True, 1), "redelivered, x-delivery-count")
    step("a nacked message comes back redelivered with x-delivery-count 1")
    channel.basic_reject(method.delivery_tag, requeue=True)
    wait_for_count(channel, dead, 1, "dead-lettered messages")
    _method, properties, body = channel.basic_get(dead, auto_ack=True)
    check_equal(body, b"poison", "dead-lettered body")
    check_equal(properties.headers["x-death"][0]["reason"], "delivery_limit", "x-death reason")
    check_equal(properties.headers["app"], "kept", "the publisher's header")
    step("past the limit it is dead-lettered with reason delivery_limit")
    connection.close()


@scenario
def stream_offsets(uri):
    """A stream read from several offsets, each delivery carrying x-stream-offset; acks remove nothing."""
    connection = connect(uri)
    channel = connection.channel()
    channel.confirm_delivery()
    stream = unique("stream")
    channel.queue_declare(stream, durable=True, arguments={"x-queue-type": "stream"})
    for i in range(5):
        channel.basic_publish("", stream, ("s%d" % i).encode())
    step("five messages appended, confirmed")

    def read(offset, count):
        reader = connection.channel()
        reader.basic_qos(prefetch_count=10)
        got = []
        reader.basic_consume(stream, lambda ch, m, p, b: (got.append((b, p.headers["x-stream-offset"])), ch.basic_ack(m.delivery_tag)),
                             arguments={"x-stream-offset": offset})
        deadline = time.time() + 10
        while len(got) < count and time.time() < deadline:
            connection.process_data_events(time_limit=0.1)
        connection.process_data_events(time_limit=0.3)
        reader.close()
        return got

    check_equal(read("first", 5), [(("s%d" % i).encode(), i) for i in range(5)], "from first")
    check_equal(read(3, 2), [(b"s3", 3), (b"s4", 4)], "from offset 3")
    check_equal(read("last", 1), [(b"s4", 4)], "from last")
    check_equal(read("first", 5)[0], (b"s0", 0), "from first again after acks")
    step("first, a numeric offset and last start where RabbitMQ starts; acks remove nothing")
    expect_channel_error(406, lambda: _consume_without_prefetch(connection, stream), "consume without a prefetch")
    connection.close()


def _consume_without_prefetch(connection, stream):
    channel = connection.channel()
    channel.basic_consume(stream, lambda *a: None)
    connection.process_data_events(time_limit=0.5)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        print("usage: pika_scenarios.py AMQP_URI {%s}" % "|".join(sorted(SCENARIOS)), file=sys.stderr)
        return 2
    uri, name = sys.argv[1], sys.argv[2]
    print("pika %s, scenario %s" % (pika.__version__, name), flush=True)
    try:
        SCENARIOS[name](uri)
    except Failure as failure:
        print("FAIL pika:%s: %s" % (name, failure), file=sys.stderr, flush=True)
        return 1
    except Exception:  # noqa: BLE001 - any client exception is a failed scenario
        print("FAIL pika:%s: unexpected exception" % name, file=sys.stderr)
        traceback.print_exc()
        return 1
    finally:
        cleanup(uri)
    print("PASS pika:%s" % name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
