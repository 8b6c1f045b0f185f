#!/usr/bin/python3
"""Interop scenarios for kombu (Celery's messaging library) over its py-amqp transport.

Usage: kombu_scenarios.py AMQP_URI SCENARIO

Prints "STEP ..." lines while it runs and "PASS kombu:SCENARIO" when every check held; on any
mismatch it prints the reason to stderr and exits non-zero.
"""

import socket
import sys
import time
import traceback
import uuid

import amqp
import amqp.exceptions
import kombu
from kombu import Connection, Consumer, Exchange, Producer, Queue

SCENARIOS = {}


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
    name = "interop.kombu.%s.%s" % (kind, uuid.uuid4().hex[:12])
    NAMES.append(name)
    return name


def cleanup(uri):
    """Best effort: deletes every queue and exchange a scenario may have left behind (e.g. after a failure)."""
    try:
        with connect(uri) as connection:
            channel = connection.channel()
            for name in NAMES:
                for method in ("queue_delete", "exchange_delete"):
                    try:
                        getattr(channel, method)(name)
                    except amqp.exceptions.AMQPError:
                        channel = connection.channel()
    except Exception as error:  # noqa: BLE001 - cleanup must not mask the scenario's result
        print("cleanup failed: %r" % error, file=sys.stderr)


def connect(uri):
    # Force the pure-Python py-amqp transport (the one Celery uses by default).
    if uri.startswith("amqp://"):
        uri = "pyamqp://" + uri[len("amqp://"):]
    connection = Connection(uri, connect_timeout=10, transport_options={"confirm_publish": True})
    connection.connect()
    check_equal(connection.transport_cls, "pyamqp", "kombu transport")
    return connection


def drain_until(connection, predicate, seconds=10):
    deadline = time.time() + seconds
    while not predicate():
        remaining = deadline - time.time()
        if remaining <= 0:
            raise Failure("timed out waiting for deliveries")
        try:
            connection.drain_events(timeout=min(remaining, 1.0))
        except socket.timeout:
            pass


def drain_quietly(connection, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            connection.drain_events(timeout=max(0.05, deadline - time.time()))
        except socket.timeout:
            pass


def message_count(connection, queue_name):
    channel = connection.channel()
    try:
        _name, count, _consumers = channel.queue_declare(queue_name, passive=True)
        return count
    finally:
        channel.close()


@scenario
def direct(uri):
    """Producer/Consumer through a direct exchange, JSON payloads, headers and properties, manual acks."""
    with connect(uri) as connection:
        exchange = Exchange(unique("direct"), type="direct", durable=False, auto_delete=False)
        queue = Queue(unique("direct-q"), exchange=exchange, routing_key="task.k1", durable=False, auto_delete=False)
        other = Queue(unique("direct-other"), exchange=exchange, routing_key="task.k2", durable=False, auto_delete=False)
        producer = Producer(connection.default_channel, exchange=exchange, serializer="json")
        producer.declare()
        queue(connection.default_channel).declare()
        other(connection.default_channel).declare()
        correlation = uuid.uuid4().hex
        for i in range(5):
            producer.publish({"n": i, "text": "caf\u00e9"}, routing_key="task.k1",
                             headers={"task": "add", "retries": i, "eta": None, "kwargs": {"x": 1}},
                             correlation_id=correlation, reply_to="replies", priority=3, delivery_mode=2,
                             retry=False)
        producer.publish({"n": "other"}, routing_key="task.k2", retry=False)
        producer.publish({"n": "nowhere"}, routing_key="task.k3", retry=False)
        step("published 7 JSON messages with confirms")

        received = []

        def on_message(body, message):
            received.append((body, message))
            message.ack()

        with Consumer(connection, queues=[queue], callbacks=[on_message], accept=["json"], prefetch_count=10):
            drain_until(connection, lambda: len(received) >= 5)
            drain_quietly(connection, 0.5)
        check_equal([body for body, _m in received], [{"n": i, "text": "caf\u00e9"} for i in range(5)], "consumed bodies")
        body, message = received[0]
        check_equal(message.content_type, "application/json", "content_type")
        check_equal(message.content_encoding, "utf-8", "content_encoding")
        check_equal(message.headers, {"task": "add", "retries": 0, "eta": None, "kwargs": {"x": 1}}, "headers")
        check_equal(message.properties.get("correlation_id"), correlation, "correlation_id")
        check_equal(message.properties.get("reply_to"), "replies", "reply_to")
        check_equal(message.properties.get("priority"), 3, "priority")
        check_equal(message.properties.get("delivery_mode"), 2, "delivery_mode")
        check_equal(message.delivery_info["routing_key"], "task.k1", "delivery routing key")
        check_equal(message.delivery_info["exchange"], exchange.name, "delivery exchange")
        check_equal(message.delivery_info["redelivered"], False, "redelivered")
        step("consumer got the 5 messages for task.k1 with their properties, acked them")

        check_equal(message_count(connection, queue.name), 0, "messages left in the consumed queue")
        deadline = time.time() + 5
        while message_count(connection, other.name) != 1 and time.time() < deadline:
            time.sleep(0.05)  # RabbitMQ may answer queue.declare ahead of in-flight deliveries
        check_equal(message_count(connection, other.name), 1, "messages routed to task.k2")
        step("routing keys routed to the right queues")
        queue(connection.default_channel).delete()
        other(connection.default_channel).delete()
        exchange(connection.default_channel).delete()


@scenario
def fanout(uri):
    """A fanout exchange delivers each message to every bound queue."""
    with connect(uri) as connection:
        exchange = Exchange(unique("fanout"), type="fanout", durable=False)
        queues = [Queue(unique("fan%d" % i), exchange=exchange, durable=False, auto_delete=False) for i in range(3)]
        channel = connection.default_channel
        exchange(channel).declare()
        for queue in queues:
            queue(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        for i in range(4):
            producer.publish({"i": i}, routing_key="ignored-%d" % i, retry=False)
        step("published 4 messages to the fanout exchange")

        received = {queue.name: [] for queue in queues}
        consumers = []
        for queue in queues:
            def on_message(body, message, name=queue.name):
                received[name].append(body["i"])
                message.ack()
            consumers.append(Consumer(connection.channel(), queues=[queue], callbacks=[on_message], accept=["json"]))
        for consumer in consumers:
            consumer.consume()
        drain_until(connection, lambda: all(len(v) >= 4 for v in received.values()))
        drain_quietly(connection, 0.5)
        for name, values in received.items():
            check_equal(values, [0, 1, 2, 3], "messages received by " + name)
        step("each of the 3 queues received all 4 messages once")
        for consumer in consumers:
            consumer.cancel()
        for queue in queues:
            queue(channel).delete()
        exchange(channel).delete()


@scenario
def simple_queue(uri):
    """kombu's SimpleQueue: put, get (consumer based), get_nowait (basic.get), qsize, clear."""
    with connect(uri) as connection:
        name = unique("simple")
        queue = connection.SimpleQueue(name, serializer="json",
                                       queue_opts={"durable": False, "auto_delete": False},
                                       exchange_opts={"durable": False})
        queue.put({"i": "purged"})
        queue.put({"i": "purged"})
        check_equal(queue.qsize(), 2, "qsize after 2 puts")
        check_equal(queue.clear(), 2, "messages purged by clear()")
        check_equal(queue.qsize(), 0, "qsize after clear()")
        step("put / qsize / clear")
        for i in range(5):
            queue.put({"i": i}, headers={"h": i})
        check_equal(queue.qsize(), 5, "qsize after 5 puts")
        message = queue.get_nowait()  # basic.get
        check_equal(message.payload, {"i": 0}, "get_nowait payload")
        check_equal(message.headers, {"h": 0}, "get_nowait headers")
        message.ack()
        check_equal(queue.qsize(), 4, "qsize after get_nowait + ack")
        step("get_nowait (basic.get) / ack")
        seen = []
        while len(seen) < 5:
            message = queue.get(block=True, timeout=5)  # basic.consume
            seen.append((message.payload["i"], message.delivery_info["redelivered"]))
            if len(seen) == 1:
                message.requeue()
            else:
                message.ack()
        check_equal(seen[0], (1, False), "first consumed message")
        check_equal(sorted(seen[1:]), [(1, True), (2, False), (3, False), (4, False)], "other consumed messages")
        step("get (consumer) / requeue -> redelivered / ack")
        try:
            queue.get(block=True, timeout=1)
        except queue.Empty:
            step("get on an empty SimpleQueue raises Empty")
        else:
            raise Failure("get on an empty SimpleQueue returned a message")
        queue.close()  # cancels the consumer before the queue goes away
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)


@scenario
def queue_arguments(uri):
    """Queues declared with x-expires / x-max-priority / x-message-ttl; equivalence checks on redeclare."""
    with connect(uri) as connection:
        name = unique("args")
        queue = Queue(name, durable=False, auto_delete=False, expires=60.0, max_priority=10, message_ttl=30.0,
                      queue_arguments={"x-max-length": 1000})
        channel = connection.channel()
        queue(channel).declare()
        check_equal(queue.queue_arguments, {"x-max-length": 1000}, "queue_arguments")
        declared_name, count, consumers = channel.queue_declare(
            name, durable=False, auto_delete=False,
            arguments={"x-expires": 60000, "x-max-priority": 10, "x-message-ttl": 30000, "x-max-length": 1000})
        check_equal((declared_name, count, consumers), (name, 0, 0), "redeclare with the same arguments")
        step("declared with x-expires, x-max-priority, x-message-ttl, x-max-length; equivalent redeclare ok")

        try:
            channel.queue_declare(name, durable=False, auto_delete=False,
                                  arguments={"x-expires": 60000, "x-max-priority": 5, "x-message-ttl": 30000,
                                             "x-max-length": 1000})
        except amqp.exceptions.PreconditionFailed as error:
            check_equal(error.reply_code, 406, "reply code")
            step("redeclare with another x-max-priority -> 406 %s" % error.reply_text)
        else:
            raise Failure("redeclare with a different x-max-priority succeeded")
        channel = connection.channel()
        _n, count, _c = channel.queue_declare(name, passive=True)
        check_equal(count, 0, "queue still there after the failed redeclare")
        channel.queue_delete(name)


@scenario
def queue_expires(uri):
    """A queue with x-expires is deleted once unused for that long."""
    with connect(uri) as connection:
        name = unique("expires")
        channel = connection.channel()
        Queue(name, durable=False, auto_delete=False, expires=1.0)(channel).declare()
        _n, count, _c = channel.queue_declare(name, passive=True)
        step("declared with x-expires=1000")
        time.sleep(3)
        try:
            channel.queue_declare(name, passive=True)
        except amqp.exceptions.NotFound as error:
            check_equal(error.reply_code, 404, "reply code")
            step("after 3 s unused the queue is gone (404)")
        else:
            raise Failure("queue with x-expires=1000 still exists after 3 s")


@scenario
def message_ttl(uri):
    """x-message-ttl on the queue and the per-message expiration property (both checked, failures reported together)."""
    failures = []
    with connect(uri) as connection:
        channel = connection.channel()
        ttl_queue = unique("ttl")
        Queue(ttl_queue, durable=False, auto_delete=False, message_ttl=0.3)(channel).declare()
        plain_queue = unique("expiration")
        Queue(plain_queue, durable=False, auto_delete=False)(channel).declare()
        producer = Producer(channel, serializer="json")
        producer.publish({"v": "short"}, routing_key=ttl_queue, retry=False)
        producer.publish({"v": "short"}, routing_key=plain_queue, expiration=0.2, retry=False)
        producer.publish({"v": "long"}, routing_key=plain_queue, expiration=60, retry=False)
        message = channel.basic_get(plain_queue, no_ack=False)
        check(message is not None, "message with expiration 200 ms missing right after publish")
        check_equal(message.properties.get("expiration"), "200", "expiration property")
        channel.basic_reject(message.delivery_tag, requeue=True)
        time.sleep(1.0)

        if channel.basic_get(ttl_queue, no_ack=True) is None:
            step("x-message-ttl=300: message gone after 1 s")
        else:
            failures.append("a message outlived the queue's x-message-ttl=300 ms (still there after 1 s)")

        first = channel.basic_get(plain_queue, no_ack=True)
        second = channel.basic_get(plain_queue, no_ack=True)
        bodies = [json_value(m) for m in (first, second) if m is not None]
        if bodies == ["long"]:
            check_equal(first.properties.get("expiration"), "60000", "expiration of the surviving message")
            step("expiration=200 ms expired, expiration=60 s kept")
        else:
            failures.append("per-message expiration: expected only the 60 s message to be left after 1 s, got %r"
                            " (the 200 ms message was not expired)" % bodies)
        channel.queue_delete(ttl_queue)
        channel.queue_delete(plain_queue)
    if failures:
        raise Failure("; ".join(failures))


def json_value(message):
    return kombu.serialization.loads(message.body, "application/json", "utf-8")["v"]


@scenario
def priority(uri):
    """A queue with x-max-priority delivers higher-priority messages first."""
    with connect(uri) as connection:
        channel = connection.channel()
        name = unique("priority")
        Queue(name, durable=False, auto_delete=False, max_priority=5)(channel).declare()
        producer = Producer(channel, serializer="json")
        for value, prio in (("p1", 1), ("p9", 9), ("none", None), ("p5", 5), ("p20", 20), ("p5b", 5)):
            kwargs = {} if prio is None else {"priority": prio}
            producer.publish({"v": value}, routing_key=name, retry=False, **kwargs)
        order = []
        while True:
            message = channel.basic_get(name, no_ack=True)
            if message is None:
                break
            order.append(json_value(message))
        # Priorities above x-max-priority (5) count as 5, FIFO among equals; no priority counts as 0.
        check_equal(order, ["p9", "p5", "p20", "p5b", "p1", "none"], "basic.get order")
        step("delivered by priority, FIFO within a priority, capped at x-max-priority")
        channel.queue_delete(name)


@scenario
def reject_requeue(uri):
    """message.requeue() redelivers with the redelivered flag; message.reject() drops."""
    with connect(uri) as connection:
        name = unique("reject")
        queue = Queue(name, durable=False, auto_delete=False)
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, serializer="json")
        producer.publish({"v": 1}, routing_key=name, retry=False)
        producer.publish({"v": 2}, routing_key=name, retry=False)
        seen = []

        def on_message(body, message):
            seen.append((body["v"], message.delivery_info["redelivered"]))
            if len(seen) == 1:
                message.requeue()
            elif len(seen) == 2:
                message.reject()
            else:
                message.ack()

        with Consumer(connection.channel(), queues=[queue], callbacks=[on_message], accept=["json"], prefetch_count=1):
            drain_until(connection, lambda: len(seen) >= 3)
            drain_quietly(connection, 0.5)
        check_equal(seen, [(1, False), (1, True), (2, False)], "deliveries (value, redelivered)")
        check_equal(message_count(connection, name), 0, "messages left")
        step("requeue -> redelivered; reject -> dropped; ack")
        channel.queue_delete(name)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        print("usage: kombu_scenarios.py AMQP_URI {%s}" % "|".join(sorted(SCENARIOS)), file=sys.stderr)
        return 2
    uri, name = sys.argv[1], sys.argv[2]
    print("kombu %s, py-amqp %s, scenario %s" % (kombu.__version__, amqp.__version__, name), flush=True)
    try:
        SCENARIOS[name](uri)
    except Failure as failure:
        print("FAIL kombu:%s: %s" % (name, failure), file=sys.stderr, flush=True)
        return 1
    except Exception:  # noqa: BLE001 - any client exception is a failed scenario
        print("FAIL kombu:%s: unexpected exception" % name, file=sys.stderr)
        traceback.print_exc()
        return 1
    finally:
        cleanup(uri)
    print("PASS kombu:%s" % name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
