#!/usr/bin/env node
// Interop scenarios for amqplib (the Node.js AMQP 0-9-1 client), run against the broker under test.
//
// Usage: node amqplib_scenarios.js AMQP_URI SCENARIO
//
// Prints "STEP ..." lines while it runs and "PASS amqplib:SCENARIO" when every check held; on any
// mismatch it prints the reason to stderr and exits non-zero. Every scenario uses its own uniquely
// named queues and exchanges and deletes them (or declares them exclusive).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const amqp = require('amqplib');

const scenarios = {};

function step(message) {
  console.log('STEP ' + message);
}

const names = [];

function unique(kind) {
  const name = `interop.amqplib.${kind}.${crypto.randomBytes(6).toString('hex')}`;
  names.push(name);
  return name;
}

// Best effort: deletes every queue and exchange a scenario may have left behind (e.g. after a failure).
async function cleanup(uri) {
  try {
    const connection = await amqp.connect(uri);
    connection.on('error', () => {});
    let channel = await connection.createChannel();
    channel.on('error', () => {});
    for (const name of names) {
      for (const kind of ['deleteQueue', 'deleteExchange']) {
        try {
          await channel[kind](name);
        } catch {
          channel = await connection.createChannel();
          channel.on('error', () => {});
        }
      }
    }
    await connection.close();
  } catch (error) {
    console.error('cleanup failed: ' + error);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate, what, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting for ' + what);
    }
    await sleep(20);
  }
}

// Runs action, which must make the broker close the channel with the given code.
async function expectChannelError(channel, code, action, what) {
  const closed = new Promise((resolve) => channel.once('close', resolve));
  let errorEvent = null;
  channel.once('error', (error) => { errorEvent = error; });
  let thrown = null;
  try {
    await action();
  } catch (error) {
    thrown = error;
  }
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what + ': channel not closed within 5 s')), 5000);
  });
  try {
    await Promise.race([closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
  const error = thrown || errorEvent;
  assert.ok(error, what + ': no error reported');
  assert.equal(error.code, code, `${what}: reply code (${error.message})`);
  step(`${what} -> channel closed ${error.code}: ${error.message}`);
  return error;
}

// Polls checkQueue until messageCount === expected. RabbitMQ answers queue.declare ahead of deliveries still
// in flight to the queue, so a count read right after publishing must be polled (basic.get is ordered).
async function waitForCount(channel, queue, expected, what) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const count = (await channel.checkQueue(queue)).messageCount;
    if (count === expected || Date.now() > deadline) {
      assert.equal(count, expected, what);
      return;
    }
    await sleep(50);
  }
}

async function collectGets(channel, queue) {
  const bodies = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) {
      return bodies;
    }
    bodies.push(message.content.toString());
  }
}

scenarios.connect = async (uri) => {
  const connection = await amqp.connect(uri);
  const props = connection.connection.serverProperties;
  step(`server: ${props.product} ${props.version}`);
  for (const key of ['product', 'version', 'platform']) {
    assert.equal(typeof props[key], 'string', 'server property ' + key);
  }
  const capabilities = props.capabilities;
  assert.ok(capabilities, 'server properties have no capabilities table');
  for (const capability of ['publisher_confirms', 'exchange_exchange_bindings', 'basic.nack',
    'consumer_cancel_notify', 'connection.blocked', 'per_consumer_qos', 'authentication_failure_close']) {
    assert.equal(capabilities[capability], true, 'capability ' + capability);
  }
  step('server advertises the capabilities clients rely on');
  assert.ok(connection.connection.frameMax >= 4096, 'frameMax ' + connection.connection.frameMax);
  step(`negotiated frameMax ${connection.connection.frameMax}, heartbeat ${connection.connection.heartbeat}`);

  const channels = await Promise.all([1, 2, 3, 4, 5].map(() => connection.createChannel()));
  const queue = (await channels[0].assertQueue('', { exclusive: true })).queue;
  assert.match(queue, /^amq\.gen-/, 'server-named queue');
  await Promise.all(channels.map((channel, i) => channel.sendToQueue(queue, Buffer.from('c' + i))));
  await waitForCount(channels[0], queue, 5, 'messages published on 5 channels');
  for (const channel of channels) {
    await channel.close();
  }
  step('5 channels on one connection, server-named queue ' + queue);
  await connection.close();

  const wrongPassword = new URL(uri);
  wrongPassword.password = 'not-the-password';
  await assert.rejects(amqp.connect(wrongPassword.toString()), (error) => {
    assert.match(String(error.message), /ACCESS_REFUSED|403/, 'wrong password error: ' + error.message);
    step('wrong password -> ' + error.message);
    return true;
  });
  const wrongVhost = new URL(uri);
  wrongVhost.pathname = '/no-such-vhost-' + crypto.randomBytes(4).toString('hex');
  await assert.rejects(amqp.connect(wrongVhost.toString()), (error) => {
    // amqplib reports a connection.close in reply to connection.open without its code.
    assert.match(String(error.message), /NOT_ALLOWED|530|got <ConnectionClose/, 'unknown vhost error: ' + error.message);
    step('unknown virtual host -> ' + error.message);
    return true;
  });
};

scenarios.topology = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const names = {};
  for (const type of ['direct', 'fanout', 'topic', 'headers']) {
    names[type] = unique(type);
    const ok = await channel.assertExchange(names[type], type, { durable: false, autoDelete: false });
    assert.equal(ok.exchange, names[type], 'assertExchange result');
    await channel.checkExchange(names[type]);
  }
  step('assertExchange of the four types, checkExchange');
  const declared = await channel.assertQueue(unique('q'), { exclusive: true, durable: false });
  assert.deepEqual([declared.messageCount, declared.consumerCount], [0, 0], 'assertQueue counts');
  const queue = declared.queue;

  await channel.bindQueue(queue, names.direct, 'key.1');
  await channel.bindQueue(queue, names.fanout, '');
  await channel.bindQueue(queue, names.topic, '*.orange.#');
  await channel.bindQueue(queue, names.headers, '', { 'x-match': 'any', colour: 'red', size: 3 });
  channel.publish(names.direct, 'key.1', Buffer.from('direct-yes'));
  channel.publish(names.direct, 'key.2', Buffer.from('direct-no'));
  channel.publish(names.fanout, 'anything', Buffer.from('fanout-yes'));
  channel.publish(names.topic, 'quick.orange.rabbit.big', Buffer.from('topic-yes'));
  channel.publish(names.topic, 'quick.orange', Buffer.from('topic-yes-2'));
  channel.publish(names.topic, 'orange.quick', Buffer.from('topic-no'));
  channel.publish(names.headers, '', Buffer.from('headers-yes'), { headers: { size: 3 } });
  channel.publish(names.headers, '', Buffer.from('headers-no'), { headers: { size: 4, colour: 'blue' } });
  await channel.checkQueue(queue); // a round trip: the publishes have reached the broker
  assert.deepEqual(await collectGets(channel, queue),
    ['direct-yes', 'fanout-yes', 'topic-yes', 'topic-yes-2', 'headers-yes'], 'routed messages');
  step('bindQueue and routing through direct, fanout, topic and headers exchanges');

  await channel.unbindQueue(queue, names.topic, '*.orange.#');
  channel.publish(names.topic, 'quick.orange', Buffer.from('after-unbind'));
  await channel.checkQueue(queue);
  assert.deepEqual(await collectGets(channel, queue), [], 'routed after unbindQueue');
  step('unbindQueue');

  const purged = await channel.purgeQueue(queue);
  assert.equal(purged.messageCount, 0, 'purgeQueue count');
  for (const name of Object.values(names)) {
    await channel.deleteExchange(name);
  }
  const deleted = await channel.deleteQueue(queue);
  assert.equal(deleted.messageCount, 0, 'deleteQueue count');
  step('deleteExchange, deleteQueue');
  await connection.close();
};

scenarios.properties = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const queue = (await channel.assertQueue(unique('props'), { exclusive: true })).queue;
  const headers = {
    string: 'hello',
    unicode: 'h\u00e9llo \u2713',
    byte: -5,
    short: 1000,
    int: 100000,
    long: 2 ** 40,
    negativeLong: -(2 ** 40),
    double: 3.25,
    float: { '!': 'float', value: 1.5 },
    unsignedByte: { '!': 'uint8', value: 200 },
    unsignedShort: { '!': 'uint16', value: 60000 },
    unsignedInt: { '!': 'uint32', value: 4000000000 },
    timestamp: { '!': 'timestamp', value: 1577934245 },
    decimal: { '!': 'decimal', value: { places: 2, digits: 314 } },
    yes: true,
    no: false,
    nothing: null,
    bytes: Buffer.from([0, 1, 255]),
    nested: { a: 1, b: { c: 'deep', d: [1, 'x'] } },
    array: [1, 'two', true, 2.5, { k: 'v' }, [3, 'four']],
    emptyTable: {},
    emptyArray: [],
  };
  const expectedHeaders = {
    ...headers,
    float: 1.5,
    unsignedByte: 200,
    unsignedShort: 60000,
    unsignedInt: 4000000000,
  };
  const timestamp = Math.floor(Date.now() / 1000);
  const options = {
    contentType: 'text/plain',
    contentEncoding: 'utf-8',
    headers,
    deliveryMode: 2,
    priority: 7,
    correlationId: 'corr-' + crypto.randomUUID(),
    replyTo: 'amq.rabbitmq.reply-to-not-really',
    expiration: '60000',
    messageId: 'msg-' + crypto.randomUUID(),
    timestamp,
    type: 'interop',
    userId: 'guest',
    appId: 'amqplib-interop',
  };
  const body = Buffer.from('payload \u00e9', 'utf8');
  assert.ok(channel.sendToQueue(queue, body, options), 'sendToQueue returned false');
  assert.ok(channel.sendToQueue(queue, body, options), 'sendToQueue returned false');

  function compare(message, how) {
    assert.deepEqual(message.content, body, how + ': body');
    const p = message.properties;
    assert.equal(p.contentType, options.contentType, how + ': contentType');
    assert.equal(p.contentEncoding, options.contentEncoding, how + ': contentEncoding');
    assert.deepEqual(p.headers, expectedHeaders, how + ': headers');
    assert.equal(p.deliveryMode, 2, how + ': deliveryMode');
    assert.equal(p.priority, 7, how + ': priority');
    assert.equal(p.correlationId, options.correlationId, how + ': correlationId');
    assert.equal(p.replyTo, options.replyTo, how + ': replyTo');
    assert.equal(p.expiration, '60000', how + ': expiration');
    assert.equal(p.messageId, options.messageId, how + ': messageId');
    assert.equal(p.timestamp, timestamp, how + ': timestamp');
    assert.equal(p.type, 'interop', how + ': type');
    assert.equal(p.userId, 'guest', how + ': userId');
    assert.equal(p.appId, 'amqplib-interop', how + ': appId');
    assert.equal(p.clusterId, undefined, how + ': clusterId');
  }

  const delivered = [];
  const { consumerTag } = await channel.consume(queue, (message) => {
    delivered.push(message);
    channel.ack(message);
  }, { consumerTag: 'amqplib-props' });
  assert.equal(consumerTag, 'amqplib-props', 'consumer tag');
  await waitFor(() => delivered.length === 2, 'two deliveries');
  await channel.cancel(consumerTag);
  compare(delivered[0], 'deliver');
  assert.equal(delivered[0].fields.consumerTag, consumerTag, 'fields.consumerTag');
  assert.equal(delivered[0].fields.exchange, '', 'fields.exchange');
  assert.equal(delivered[0].fields.routingKey, queue, 'fields.routingKey');
  assert.equal(delivered[0].fields.redelivered, false, 'fields.redelivered');
  assert.ok(delivered[1].fields.deliveryTag > delivered[0].fields.deliveryTag, 'delivery tags increase');
  step('basic.deliver carries every property and the typed header table');

  channel.sendToQueue(queue, body, options);
  await channel.checkQueue(queue);
  const got = await channel.get(queue, { noAck: true });
  assert.ok(got, 'get returned false');
  compare(got, 'get');
  step('basic.get-ok carries every property and the typed header table');
  await connection.close();
};

scenarios.confirms = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createConfirmChannel();
  const queue = (await channel.assertQueue(unique('confirm'), { exclusive: true })).queue;
  const acked = [];
  for (let i = 0; i < 50; i++) {
    channel.sendToQueue(queue, Buffer.from('m' + i), { persistent: true }, (error) => acked.push(error));
  }
  await channel.waitForConfirms();
  assert.equal(acked.length, 50, 'confirm callbacks');
  assert.ok(acked.every((error) => error === null || error === undefined), 'some publishes were nacked');
  await waitForCount(channel, queue, 50, 'messages after confirms');
  step('50 publishes confirmed by waitForConfirms');

  const returned = [];
  channel.on('return', (message) => returned.push(message));
  const exchange = unique('confirm-x');
  await channel.assertExchange(exchange, 'direct', { durable: false });
  let confirmError = 'not called';
  channel.publish(exchange, 'unroutable', Buffer.from('bounce'), { mandatory: true, messageId: 'bounce-1' },
    (error) => { confirmError = error; });
  await channel.waitForConfirms();
  assert.ok(confirmError === null || confirmError === undefined, 'unroutable mandatory message was nacked: ' + confirmError);
  await waitFor(() => returned.length === 1, 'basic.return');
  assert.equal(returned[0].fields.replyCode, 312, 'basic.return replyCode');
  assert.equal(returned[0].fields.replyText, 'NO_ROUTE', 'basic.return replyText');
  assert.equal(returned[0].fields.exchange, exchange, 'basic.return exchange');
  assert.equal(returned[0].fields.routingKey, 'unroutable', 'basic.return routingKey');
  assert.equal(returned[0].properties.messageId, 'bounce-1', 'basic.return messageId');
  assert.equal(returned[0].content.toString(), 'bounce', 'basic.return body');
  step('mandatory unroutable publish: basic.return 312 NO_ROUTE, then basic.ack');
  await channel.deleteExchange(exchange);
  await connection.close();
};

scenarios.prefetch = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const queue = (await channel.assertQueue(unique('prefetch'), { exclusive: true })).queue;
  for (let i = 0; i < 10; i++) {
    channel.sendToQueue(queue, Buffer.from(String(i)));
  }
  await channel.prefetch(3);
  const received = [];
  await channel.consume(queue, (message) => received.push(message), { noAck: false });
  await waitFor(() => received.length >= 3, 'three deliveries');
  await sleep(1000);
  assert.equal(received.length, 3, 'deliveries in flight with prefetch 3');
  step('prefetch(3): three unacked deliveries in flight');
  channel.ack(received[0]);
  channel.ack(received[1]);
  await waitFor(() => received.length >= 5, 'two more deliveries');
  await sleep(500);
  assert.equal(received.length, 5, 'deliveries after two acks');
  step('two acks release two more');
  channel.ack(received[4], true);
  await waitFor(() => received.length >= 8, 'three more deliveries');
  channel.ack(received[7], true);
  await waitFor(() => received.length >= 10, 'the rest');
  channel.ack(received[9], true);
  assert.deepEqual(received.map((m) => m.content.toString()), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'order');
  step('ack allUpTo releases the rest in order');
  await connection.close();
};

scenarios.get = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const queue = (await channel.assertQueue(unique('get'), { exclusive: true })).queue;
  assert.equal(await channel.get(queue), false, 'get on an empty queue');
  step('get on an empty queue -> false');
  for (let i = 0; i < 3; i++) {
    channel.sendToQueue(queue, Buffer.from('g' + i), { headers: { i } });
  }
  await channel.checkQueue(queue);
  const first = await channel.get(queue, { noAck: false });
  assert.equal(first.content.toString(), 'g0', 'first body');
  assert.equal(first.fields.messageCount, 2, 'messageCount');
  assert.equal(first.fields.redelivered, false, 'redelivered');
  assert.equal(first.fields.routingKey, queue, 'routingKey');
  assert.deepEqual(first.properties.headers, { i: 0 }, 'headers');
  channel.ack(first);
  const second = await channel.get(queue, { noAck: true });
  assert.equal(second.content.toString(), 'g1', 'second body');
  assert.equal(second.fields.messageCount, 1, 'messageCount');
  const third = await channel.get(queue);
  assert.equal(third.fields.messageCount, 0, 'messageCount');
  channel.ack(third);
  assert.equal(await channel.get(queue), false, 'get after draining');
  step('get with ack and noAck, messageCount');
  await connection.close();
};

scenarios.nack_requeue = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const queue = (await channel.assertQueue(unique('nack'), { exclusive: true })).queue;
  for (const body of ['a', 'b', 'c']) {
    channel.sendToQueue(queue, Buffer.from(body));
  }
  await channel.checkQueue(queue);
  let message = await channel.get(queue);
  assert.deepEqual([message.content.toString(), message.fields.redelivered], ['a', false], 'first get');
  channel.nack(message, false, true);
  message = await channel.get(queue);
  assert.deepEqual([message.content.toString(), message.fields.redelivered], ['a', true], 'get after nack requeue');
  step('nack requeue -> same message back at the head, redelivered');

  const b = await channel.get(queue);
  const c = await channel.get(queue);
  assert.deepEqual([b.content.toString(), c.content.toString()], ['b', 'c'], 'b and c');
  channel.nack(c, true, true); // allUpTo: a, b and c
  const again = await collectGets(channel, queue);
  assert.deepEqual(again, ['a', 'b', 'c'], 'after nack allUpTo requeue');
  step('nack allUpTo requeue -> all three back in order');

  channel.sendToQueue(queue, Buffer.from('d'));
  await channel.checkQueue(queue);
  message = await channel.get(queue);
  channel.nack(message, false, false);
  channel.sendToQueue(queue, Buffer.from('e'));
  await channel.checkQueue(queue);
  message = await channel.get(queue);
  channel.reject(message, false);
  await sleep(300);
  assert.equal(await channel.get(queue), false, 'messages after nack/reject without requeue');
  channel.sendToQueue(queue, Buffer.from('f'));
  await channel.checkQueue(queue);
  message = await channel.get(queue);
  channel.reject(message, true);
  message = await channel.get(queue, { noAck: true });
  assert.deepEqual([message.content.toString(), message.fields.redelivered], ['f', true], 'after reject requeue');
  step('nack/reject without requeue drop, reject requeue redelivers');

  channel.sendToQueue(queue, Buffer.from('g'));
  await channel.checkQueue(queue);
  await channel.get(queue);
  channel.nackAll(true);
  message = await channel.get(queue, { noAck: true });
  assert.deepEqual([message.content.toString(), message.fields.redelivered], ['g', true], 'after nackAll');
  step('nackAll requeue');
  await connection.close();
};

scenarios.channel_error = async (uri) => {
  const connection = await amqp.connect(uri);
  let connectionError = null;
  connection.on('error', (error) => { connectionError = error; });
  const channel = await connection.createChannel();
  await expectChannelError(channel, 404, () => channel.checkQueue(unique('missing')), 'checkQueue of a missing queue');

  const second = await connection.createChannel();
  const queue = (await second.assertQueue(unique('after-error'), { exclusive: true })).queue;
  second.sendToQueue(queue, Buffer.from('still-works'));
  await second.checkQueue(queue);
  const message = await second.get(queue, { noAck: true });
  assert.equal(message && message.content.toString(), 'still-works', 'round trip on a new channel');
  step('a new channel on the same connection works');

  await expectChannelError(second, 404, () => second.checkExchange(unique('missing-x')), 'checkExchange of a missing exchange');
  const third = await connection.createChannel();
  await expectChannelError(third, 406, async () => {
    third.ack({ fields: { deliveryTag: 999 } });
    await third.checkQueue(queue);
  }, 'ack of an unknown delivery tag');
  const fourth = await connection.createChannel();
  await expectChannelError(fourth, 403, () => fourth.assertExchange('amq.interop-reserved', 'direct'), 'declare of an amq.* exchange');
  const fifth = await connection.createChannel();
  await fifth.checkQueue(queue);
  assert.equal(connectionError, null, 'connection error event');
  step('the connection survived four channel errors');
  await connection.close();
};

scenarios.exchange_to_exchange = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const source = unique('e2e-source');
  const destination = unique('e2e-dest');
  const fanout = unique('e2e-fanout');
  await channel.assertExchange(source, 'topic', { durable: false });
  await channel.assertExchange(destination, 'direct', { durable: false });
  await channel.assertExchange(fanout, 'fanout', { durable: false });
  const q1 = (await channel.assertQueue('', { exclusive: true })).queue;
  const q2 = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindExchange(destination, source, 'orders.#');
  await channel.bindQueue(q1, destination, 'orders.eu.new');
  await channel.bindExchange(fanout, source, '#.audit');
  await channel.bindQueue(q2, fanout, '');
  // Cycle: fanout -> source must not loop forever.
  await channel.bindExchange(source, fanout, '');
  channel.publish(source, 'orders.eu.new', Buffer.from('order'));
  channel.publish(source, 'orders.us.new', Buffer.from('other-order'));
  channel.publish(source, 'orders.eu.new.audit', Buffer.from('audit'));
  channel.publish(source, 'stock.audit', Buffer.from('stock-audit'));
  await channel.checkQueue(q1);
  await channel.checkQueue(q2);
  assert.deepEqual(await collectGets(channel, q1), ['order'], 'q1 via source -> destination');
  assert.deepEqual(await collectGets(channel, q2), ['audit', 'stock-audit'], 'q2 via source -> fanout (once each, despite the cycle)');
  step('bindExchange: topic -> direct and topic -> fanout (with a cycle back) route once');

  await channel.unbindExchange(destination, source, 'orders.#');
  channel.publish(source, 'orders.eu.new', Buffer.from('after-unbind'));
  await channel.checkQueue(q1);
  assert.deepEqual(await collectGets(channel, q1), [], 'q1 after unbindExchange');
  step('unbindExchange');

  // Deleting the destination removes the exchange-to-exchange bindings it had.
  await channel.deleteExchange(fanout);
  channel.publish(source, 'x.audit', Buffer.from('after-delete'));
  await channel.checkQueue(q2);
  assert.deepEqual(await collectGets(channel, q2), [], 'q2 after deleting the fanout exchange');
  step('deleting an exchange removes its exchange bindings');
  await channel.deleteExchange(source);
  await channel.deleteExchange(destination);
  await connection.close();
};

scenarios.alternate_exchange = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createConfirmChannel();
  const alternate = unique('ae');
  const main = unique('main');
  await channel.assertExchange(alternate, 'fanout', { durable: false });
  await channel.assertExchange(main, 'direct', { durable: false, alternateExchange: alternate });
  const routed = (await channel.assertQueue('', { exclusive: true })).queue;
  const unrouted = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(routed, main, 'known');
  await channel.bindQueue(unrouted, alternate, '');
  const returned = [];
  channel.on('return', (message) => returned.push(message));
  channel.publish(main, 'known', Buffer.from('to-known'), { mandatory: true });
  channel.publish(main, 'unknown', Buffer.from('to-ae'), { mandatory: true });
  await channel.waitForConfirms();
  assert.deepEqual(await collectGets(channel, routed), ['to-known'], 'routed queue');
  const viaAe = await channel.get(unrouted, { noAck: true });
  assert.ok(viaAe, 'nothing in the alternate exchange queue');
  assert.equal(viaAe.content.toString(), 'to-ae', 'alternate body');
  assert.equal(viaAe.fields.exchange, main, 'alternate delivery keeps the original exchange');
  assert.equal(viaAe.fields.routingKey, 'unknown', 'alternate delivery keeps the routing key');
  await sleep(300);
  assert.equal(returned.length, 0, 'a message taken by the alternate exchange must not be returned');
  step('unroutable message goes to the alternate exchange, not returned');

  await channel.unbindQueue(unrouted, alternate, '');
  channel.publish(main, 'unknown', Buffer.from('nowhere'), { mandatory: true });
  await channel.waitForConfirms();
  await waitFor(() => returned.length === 1, 'basic.return');
  assert.equal(returned[0].fields.replyCode, 312, 'replyCode');
  assert.equal(returned[0].fields.exchange, main, 'basic.return names the original exchange');
  step('unroutable even through the alternate exchange -> basic.return');
  await channel.deleteExchange(main);
  await channel.deleteExchange(alternate);
  await connection.close();
};

scenarios.dead_letter = async (uri) => {
  // Both checks run; their failures are reported together.
  const failures = [];
  const connection = await amqp.connect(uri);
  const channel = await connection.createConfirmChannel();
  const dlx = unique('dlx');
  await channel.assertExchange(dlx, 'direct', { durable: false });
  const deadLetters = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(deadLetters, dlx, 'dead');
  const source = unique('dl-source');
  await channel.assertQueue(source, {
    exclusive: true, deadLetterExchange: dlx, deadLetterRoutingKey: 'dead', maxLength: 2,
  });
  channel.sendToQueue(source, Buffer.from('rejected'), { messageId: 'm-rejected', headers: { keep: 'me' } });
  await channel.waitForConfirms();
  const message = await channel.get(source);
  assert.equal(message && message.content.toString(), 'rejected', 'get from the source queue');
  channel.nack(message, false, false);
  await channel.checkQueue(deadLetters);
  const dead = await pollGet(channel, deadLetters);
  if (!dead) {
    failures.push('a message rejected with requeue=false was not dead-lettered to x-dead-letter-exchange');
  } else {
    assert.equal(dead.content.toString(), 'rejected', 'dead-lettered body');
    assert.equal(dead.fields.exchange, dlx, 'dead-lettered exchange');
    assert.equal(dead.fields.routingKey, 'dead', 'dead-lettered routing key (x-dead-letter-routing-key)');
    assert.equal(dead.properties.messageId, 'm-rejected', 'dead-lettered messageId');
    assert.equal(dead.properties.headers.keep, 'me', 'original headers kept');
    const death = dead.properties.headers['x-death'];
    assert.ok(Array.isArray(death) && death.length === 1, 'x-death header: ' + JSON.stringify(death));
    assert.equal(death[0].reason, 'rejected', 'x-death reason');
    assert.equal(death[0].queue, source, 'x-death queue');
    assert.equal(death[0].exchange, '', 'x-death exchange');
    assert.deepEqual(death[0]['routing-keys'], [source], 'x-death routing-keys');
    assert.equal(death[0].count, 1, 'x-death count');
    assert.equal(dead.properties.headers['x-first-death-reason'], 'rejected', 'x-first-death-reason');
    step('reject requeue=false -> dead-lettered with x-death {reason: rejected, count: 1}');
  }

  for (const body of ['one', 'two', 'three']) {
    channel.sendToQueue(source, Buffer.from(body));
  }
  await channel.waitForConfirms();
  const left = await collectGets(channel, source);
  if (JSON.stringify(left) !== JSON.stringify(['two', 'three'])) {
    failures.push(`x-max-length=2 with 3 messages published: expected the queue to keep [two, three], got ${JSON.stringify(left)}`);
  } else {
    const dropped = await pollGet(channel, deadLetters);
    if (!dropped || dropped.content.toString() !== 'one') {
      failures.push('the message dropped from the head by x-max-length was not dead-lettered');
    } else {
      assert.equal(dropped.properties.headers['x-death'][0].reason, 'maxlen', 'x-death reason for x-max-length');
      step('x-max-length=2 drops the head and dead-letters it with reason maxlen');
    }
  }
  await channel.deleteExchange(dlx);
  await connection.close();
  if (failures.length > 0) {
    throw new Error(failures.join('; '));
  }
};

// basic.get, retried for up to 2 s: dead-lettering happens asynchronously.
async function pollGet(channel, queue) {
  const deadline = Date.now() + 2000;
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message || Date.now() > deadline) {
      return message || null;
    }
    await sleep(50);
  }
}

scenarios.cancel_notify = async (uri) => {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  const other = await connection.createChannel();
  const queue = (await channel.assertQueue(unique('cancel'), { exclusive: false, durable: false })).queue;
  const events = [];
  await channel.consume(queue, (message) => events.push(message));
  await other.deleteQueue(queue);
  await waitFor(() => events.length === 1, 'basic.cancel from the broker');
  assert.equal(events[0], null, 'consumer callback gets null on broker cancel');
  step('deleting a consumed queue sends basic.cancel (consumer_cancel_notify)');
  const queue2 = (await channel.assertQueue('', { exclusive: true })).queue;
  channel.sendToQueue(queue2, Buffer.from('fine'));
  await channel.checkQueue(queue2);
  assert.equal((await channel.get(queue2, { noAck: true })).content.toString(), 'fine', 'channel usable after cancel');
  await connection.close();
};

async function main() {
  const [uri, name] = process.argv.slice(2);
  if (!uri || !scenarios[name]) {
    console.error(`usage: node amqplib_scenarios.js AMQP_URI {${Object.keys(scenarios).join('|')}}`);
    return 2;
  }
  const version = require('amqplib/package.json').version;
  console.log(`amqplib ${version} on node ${process.version}, scenario ${name}`);
  try {
    await scenarios[name](uri);
  } catch (error) {
    console.error(`FAIL amqplib:${name}: ${error && error.stack ? error.stack : error}`);
    return 1;
  } finally {
    await cleanup(uri);
  }
  console.log(`PASS amqplib:${name}`);
  return 0;
}

main().then((code) => { process.exitCode = code; },
  (error) => { console.error(error); process.exitCode = 1; });
