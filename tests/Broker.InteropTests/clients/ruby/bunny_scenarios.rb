#!/usr/bin/ruby
# frozen_string_literal: true

# Interop scenarios for Bunny (the Ruby AMQP 0-9-1 client), run against the broker under test.
#
# Usage: bunny_scenarios.rb AMQP_URI SCENARIO
#
# Prints "STEP ..." lines while it runs and "PASS bunny:SCENARIO" when every check held; on any
# mismatch it prints the reason to stderr and exits non-zero. Every scenario uses its own uniquely
# named queues and exchanges and deletes them (or declares them exclusive).

require 'bunny'
require 'securerandom'

$stdout.sync = true

class Failure < StandardError; end

SCENARIOS = {}

def scenario(name, &block)
  SCENARIOS[name] = block
end

def step(message)
  puts "STEP #{message}"
end

def check(condition, message)
  raise Failure, message unless condition
end

def check_equal(actual, expected, what)
  raise Failure, "#{what}: expected #{expected.inspect}, got #{actual.inspect}" unless actual == expected
end

NAMES = []

def unique(kind)
  name = "interop.bunny.#{kind}.#{SecureRandom.hex(6)}"
  NAMES << name
  name
end

# The harness passes URIs like amqp://guest:guest@127.0.0.1:5672/ and means the default virtual host "/",
# as pika, amqplib and the .NET client read them. Bunny follows the AMQP URI spec to the letter, where an
# empty path segment names the virtual host "": spell the default virtual host out for it.
def normalize_uri(uri)
  uri.end_with?('/') && uri.count('/') == 3 ? "#{uri}%2F" : uri
end

def connect(uri)
  connection = Bunny.new(normalize_uri(uri), automatically_recover: false, connection_timeout: 10, read_timeout: 30,
                              continuation_timeout: 15_000, log_level: :warn)
  connection.start
  connection
end

# Best effort: deletes every queue and exchange a scenario may have left behind (e.g. after a failure).
def cleanup(uri)
  connection = connect(uri)
  channel = connection.create_channel
  NAMES.each do |name|
    %i[queue_delete exchange_delete].each do |delete|
      channel.send(delete, name)
    rescue Bunny::ChannelLevelException
      channel = connection.create_channel
    end
  end
  connection.close
rescue StandardError => e
  warn "cleanup failed: #{e.class}: #{e.message}"
end

def wait_until(what, seconds = 10)
  deadline = Time.now + seconds
  until yield
    raise Failure, "timed out waiting for #{what}" if Time.now > deadline

    sleep 0.02
  end
end

# Polls queue.declare(passive) until message_count == expected. RabbitMQ answers queue.declare ahead of
# deliveries still in flight to the queue, so a count read right after publishing must be polled.
def wait_for_count(queue, expected, what)
  deadline = Time.now + 5
  loop do
    count = queue.message_count
    return if count == expected

    check_equal(count, expected, what) if Time.now > deadline
    sleep 0.05
  end
end

def pop_all(queue)
  bodies = []
  loop do
    _info, _props, body = queue.pop
    return bodies if body.nil?

    bodies << body
  end
end

scenario 'topic' do |uri|
  connection = connect(uri)
  channel = connection.create_channel
  channel.confirm_select # publishes are routed once confirmed
  exchange = channel.topic(unique('topic'), durable: false, auto_delete: false)
  bindings = {
    'errors' => ['*.error', '#.critical'],
    'app' => ['app.#'],
    'db' => ['app.*.db'],
    'all' => ['#'],
    'exact' => ['app.web'],
    'empty-words' => ['a..b'],
  }
  queues = bindings.to_h do |name, keys|
    queue = channel.queue('', exclusive: true)
    keys.each { |key| queue.bind(exchange, routing_key: key) }
    [name, queue]
  end
  keys = ['app.error', 'app.web', 'app.web.db', 'app.db', 'db.error.critical', 'app', 'x.y.z.critical', 'a..b', '']
  keys.each { |key| exchange.publish(key.empty? ? 'empty' : key, routing_key: key) }
  check(channel.wait_for_confirms, 'publishes were nacked')
  expected = {
    'errors' => ['app.error', 'db.error.critical', 'x.y.z.critical'],
    'app' => ['app.error', 'app.web', 'app.web.db', 'app.db', 'app'],
    'db' => ['app.web.db'],
    'all' => keys.map { |key| key.empty? ? 'empty' : key },
    'exact' => ['app.web'],
    'empty-words' => ['a..b'],
  }
  expected.each do |name, bodies|
    check_equal(pop_all(queues[name]), bodies, "messages routed to the #{name} queue (#{bindings[name].join(', ')})")
  end
  step('topic routing with *, # (zero or more words), exact keys, empty words and the empty key')
  queues['app'].unbind(exchange, routing_key: 'app.#')
  exchange.publish('late', routing_key: 'app.late')
  channel.wait_for_confirms
  check_equal(pop_all(queues['app']), [], 'after unbind')
  step('unbind')
  exchange.delete
  connection.close
end

scenario 'subscribe_manual_ack' do |uri|
  connection = connect(uri)
  channel = connection.create_channel
  channel.prefetch(5)
  queue = channel.queue(unique('subscribe'), exclusive: true)
  20.times { |i| channel.default_exchange.publish("m#{i}", routing_key: queue.name, message_id: "id-#{i}") }
  received = []
  lock = Mutex.new
  consumer = queue.subscribe(manual_ack: true, block: false) do |delivery_info, properties, body|
    lock.synchronize { received << [delivery_info.delivery_tag, delivery_info.redelivered?, properties.message_id, body] }
    if body == 'm3' && !delivery_info.redelivered?
      channel.reject(delivery_info.delivery_tag, true)
    else
      channel.ack(delivery_info.delivery_tag)
    end
  end
  wait_until('21 deliveries') { lock.synchronize { received.size } >= 21 }
  sleep 0.3
  consumer.cancel
  bodies = received.map { |r| r[3] }
  check_equal(bodies.size, 21, 'deliveries (20 + 1 redelivery)')
  check_equal(bodies.sort.uniq, (0...20).map { |i| "m#{i}" }.sort, 'bodies')
  check_equal(bodies.first(4), %w[m0 m1 m2 m3], 'first deliveries in order')
  redelivered = received.select { |r| r[1] }
  check_equal(redelivered.map { |r| r[3] }, ['m3'], 'redelivered messages')
  check(received.all? { |r| r[2] == "id-#{r[3][1..]}" }, 'message_id properties')
  check_equal(received.map { |r| r[0] }, (1..21).to_a, 'delivery tags are 1..n on the channel')
  step('subscribe with manual_ack: 20 messages acked, one rejected with requeue and redelivered')
  check_equal(queue.message_count, 0, 'messages left')
  check_equal(queue.consumer_count, 0, 'consumers left after cancel')
  step('queue empty, consumer cancelled')
  connection.close
end

scenario 'confirms' do |uri|
  connection = connect(uri)
  channel = connection.create_channel
  channel.confirm_select
  check(channel.using_publisher_confirmations?, 'confirm.select not in effect')
  queue = channel.queue(unique('confirms'), exclusive: true)
  100.times { |i| channel.default_exchange.publish("c#{i}", routing_key: queue.name, persistent: true) }
  check(channel.wait_for_confirms, 'wait_for_confirms returned false')
  check(channel.nacked_set.empty?, "nacked: #{channel.nacked_set.to_a}")
  check_equal(channel.unconfirmed_set.size, 0, 'unconfirmed after wait_for_confirms')
  wait_for_count(queue, 100, 'messages after 100 confirmed publishes')
  step('100 publishes confirmed')

  returned = []
  exchange = channel.direct(unique('confirms-x'), durable: false)
  exchange.on_return { |info, _props, body| returned << [info.reply_code, info.reply_text, info.routing_key, body] }
  exchange.publish('bounce', routing_key: 'nowhere', mandatory: true)
  check(channel.wait_for_confirms, 'mandatory unroutable publish was nacked')
  wait_until('basic.return') { returned.size == 1 }
  check_equal(returned.first, [312, 'NO_ROUTE', 'nowhere', 'bounce'], 'basic.return')
  step('mandatory unroutable publish returned (312 NO_ROUTE) and confirmed')
  exchange.delete
  connection.close
end

scenario 'headers' do |uri|
  connection = connect(uri)
  channel = connection.create_channel
  channel.confirm_select
  exchange = channel.headers(unique('headers'), durable: false)
  all = channel.queue('', exclusive: true).bind(exchange, arguments: { 'x-match' => 'all', 'format' => 'pdf', 'type' => 'report' })
  any = channel.queue('', exclusive: true).bind(exchange, arguments: { 'x-match' => 'any', 'format' => 'zip', 'size' => 10 })
  default = channel.queue('', exclusive: true).bind(exchange, arguments: { 'lang' => 'en', 'x-custom' => 'ignored' })
  empty = channel.queue('', exclusive: true).bind(exchange, arguments: { 'x-match' => 'all' })
  cases = [
    ['pdf-report', { 'format' => 'pdf', 'type' => 'report' }],
    ['pdf-report-extra', { 'format' => 'pdf', 'type' => 'report', 'extra' => true }],
    ['pdf-only', { 'format' => 'pdf' }],
    ['zip', { 'format' => 'zip' }],
    ['size-10', { 'size' => 10 }],
    ['size-string', { 'size' => '10' }],
    ['lang-en', { 'lang' => 'en' }],
    ['none', nil],
  ]
  cases.each { |body, headers| exchange.publish(body, headers: headers) }
  check(channel.wait_for_confirms, 'nacked')
  check_equal(pop_all(all), %w[pdf-report pdf-report-extra], 'x-match=all')
  check_equal(pop_all(any), %w[zip size-10], 'x-match=any (an int does not match a string)')
  check_equal(pop_all(default), %w[lang-en], 'no x-match means all; x- arguments are not matched')
  check_equal(pop_all(empty), cases.map(&:first), 'an empty x-match=all binding matches everything')
  step('headers exchange: all, any, default all, x- keys ignored, typed values, empty binding')
  exchange.delete
  connection.close
end

scenario 'basic_get' do |uri|
  connection = connect(uri)
  channel = connection.create_channel
  queue = channel.queue(unique('get'), exclusive: true)
  info, props, body = queue.pop
  check(info.nil? && props.nil? && body.nil?, 'pop on an empty queue returned a message')
  step('pop on an empty queue -> nil')
  3.times { |i| channel.default_exchange.publish("g#{i}", routing_key: queue.name, content_type: 'text/plain', headers: { 'n' => i, 'f' => 1.5 }) }
  info, props, body = queue.pop(manual_ack: true)
  check_equal(body, 'g0', 'first body')
  # Bunny's GetResponse does not expose basic.get-ok's message-count; read it from the method frame.
  check_equal(info.instance_variable_get(:@get_ok).message_count, 2, 'basic.get-ok message_count')
  check_equal(info.redelivered?, false, 'redelivered')
  check_equal(props.content_type, 'text/plain', 'content_type')
  check_equal(props.headers, { 'n' => 0, 'f' => 1.5 }, 'headers')
  channel.reject(info.delivery_tag, true)
  info, _props, body = queue.pop(manual_ack: true)
  check_equal([body, info.redelivered?], ['g0', true], 'after reject requeue')
  channel.ack(info.delivery_tag)
  check_equal(pop_all(queue), %w[g1 g2], 'the rest')
  step('pop with manual ack, message_count, reject requeue, redelivered')
  connection.close
end

scenario 'exclusive_server_named' do |uri|
  owner = connect(uri)
  channel = owner.create_channel
  queue = channel.queue('', exclusive: true)
  check(queue.name.start_with?('amq.gen-'), "server-named queue: #{queue.name}")
  check(queue.exclusive?, 'exclusive flag')
  channel.default_exchange.publish('mine', routing_key: queue.name)
  wait_for_count(queue, 1, 'message_count')
  step("server-named exclusive queue #{queue.name}")

  other = connect(uri)
  other_channel = other.create_channel
  begin
    other_channel.queue(queue.name, passive: true).pop
    raise Failure, 'another connection could use the exclusive queue'
  rescue Bunny::ResourceLocked => e
    check_equal(e.channel_close.reply_code, 405, 'reply code')
    step("another connection gets 405: #{e.channel_close.reply_text}")
  end
  other_channel = other.create_channel
  begin
    other_channel.queue(queue.name, exclusive: true)
    raise Failure, 'another connection could redeclare the server-named queue'
  rescue Bunny::AccessRefused => e
    # A non-passive declare of an amq.* name is refused before the exclusivity check.
    check_equal(e.channel_close.reply_code, 403, 'reply code on redeclare')
    step("non-passive declare of the amq.gen- name gets 403: #{e.channel_close.reply_text}")
  end

  owner.close
  other_channel = other.create_channel
  deadline = Time.now + 5
  gone = nil
  until gone
    begin
      other_channel.queue(queue.name, passive: true)
      raise Failure, 'exclusive queue survived its connection' if Time.now > deadline

      sleep 0.1
    rescue Bunny::NotFound => e
      gone = e
    end
  end
  check_equal(gone.channel_close.reply_code, 404, 'reply code after owner closed')
  step('the exclusive queue is deleted when its connection closes')
  other.close
end

uri, name = ARGV
unless uri && SCENARIOS.key?(name)
  warn "usage: bunny_scenarios.rb AMQP_URI {#{SCENARIOS.keys.join('|')}}"
  exit 2
end
puts "bunny #{Bunny::VERSION} on ruby #{RUBY_VERSION}, scenario #{name}"
begin
  SCENARIOS[name].call(uri)
rescue Failure => e
  warn "FAIL bunny:#{name}: #{e.message}"
  exit 1
rescue StandardError => e
  warn "FAIL bunny:#{name}: unexpected #{e.class}: #{e.message}"
  warn e.backtrace.join("\n")
  exit 1
ensure
  cleanup(uri)
end
puts "PASS bunny:#{name}"
exit 0
