// One queue: details, depths and rates (charted), arguments and policy, consumers, bindings (add and
// remove), publish, get messages (text / JSON / hex, x-death history), move, purge and delete.
import { h, mount, section, table, kvTable, link, button, field, input, select, argsEditor, busy, badge } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { loadOrShowMissing } from '../js/object.js';
import { fmtNum, fmtRate, fmtBytes, rateOf, fmtBool } from '../js/format.js';
import { features } from '../js/features.js';
import { History, lineChart } from '../js/chart.js';
import { messageCard } from '../js/messages.js';
import { publishForm } from '../js/publish.js';
import { moveMessages } from '../js/move.js';

export async function render(root, params, ctx) {
  const { vhost, name } = params;
  const path = apiPath`/queues/${vhost}/${name}`;
  let queue = await loadOrShowMissing(root, ctx, path, 'queue', name, vhost);
  if (queue === null) return;
  if (!ctx.current()) return;

  const details = h('div', { id: 'queue-details' });
  const depth = h('div', { id: 'queue-depth' });
  const chartBox = h('div');
  const argsBox = h('div', { id: 'queue-arguments' });
  const consumersBox = h('div', { id: 'queue-consumers' });
  const bindingsBox = h('div', { id: 'queue-bindings' });
  const history = new History(5 * 60 * 1000);

  root.append(
    h('div', { class: 'page-title' },
      h('h1', null, h('span', { class: 'kind' }, 'Queue'), name),
      h('span', { class: 'muted' }, 'virtual host ', h('b', null, vhost))),
    h('div', { class: 'grid-2' },
      section('Details', details),
      section('Messages', depth, chartBox)),
    h('div', { class: 'stack' }),
    h('div', { class: 'grid-2' },
      section('Arguments and policy', argsBox),
      section('Consumers', consumersBox)),
    h('div', { class: 'stack' }),
    section('Bindings', { id: 'bindings' }, bindingsBox, addBindingForm(ctx, vhost, name, () => loadBindings())),
    section('Get messages', { id: 'get-messages' }, getMessages(ctx, path, () => poller.now())),
    section('Publish message', { id: 'publish' }, h('p', { class: 'muted' }, 'Published through the default exchange with the queue name as routing key.'), publishForm(ctx, vhost, '', name)),
    section('Move messages', { id: 'move-messages' }, moveForm(ctx, vhost, name, () => poller.now())),
    h('div', { class: 'grid-2' },
      section('Purge', { id: 'purge' }, h('p', null, 'Removes every ready message (unacknowledged ones stay).'),
        button('Purge messages', e => busy(e.target, async () => {
          if (!confirm(`Purge all ready messages of ${name}?`)) return;
          await ctx.api.delete(path + '/contents');
          ctx.toast(`Queue ${name} purged`);
          poller.now();
        }), { kind: 'danger', id: 'purge-button' })),
      section('Delete', { id: 'delete' }, deleteForm(ctx, path, name))));

  const poller = ctx.poll(async () => {
    const q = await ctx.api.get(path, { quiet: true }).catch(e => { if (e.status === 404) return null; throw e; });
    if (!ctx.current()) return;
    if (!q) { details.replaceChildren(badge('deleted', 'bad'), ' This queue no longer exists.'); return; }
    queue = q;
    showQueue(q);
  });
  loadBindings();

  function showQueue(q) {
    details.replaceChildren(kvTable({
      Type: q.type,
      Features: h('span', null, features(q).length ? features(q) : 'none'),
      State: badge(q.state ?? 'running', q.state === 'running' || !q.state ? 'ok' : 'warn'),
      Policy: q.policy ? h('a', { href: '#/admin/policies' }, q.policy) : 'none',
      'Operator policy': q.operator_policy ?? 'none',
      Consumers: fmtNum(q.consumers),
      'Consumer utilisation': q.consumer_utilisation === undefined || q.consumer_utilisation === null ? '—' : `${Math.round(q.consumer_utilisation * 100)}%`,
      'Exclusive owner': q.owner_pid_details?.name ?? 'none',
      Node: q.node,
      Memory: fmtBytes(q.memory),
    }));
    depth.replaceChildren(table([
      { title: '', value: r => r.label },
      { title: 'Messages', value: r => fmtNum(r.count), num: true },
      { title: 'Bytes', value: r => fmtBytes(r.bytes), num: true },
    ], [
      { label: 'Ready', count: q.messages_ready, bytes: q.message_bytes_ready },
      { label: 'Unacked', count: q.messages_unacknowledged, bytes: q.message_bytes_unacknowledged },
      { label: 'Total', count: q.messages, bytes: q.message_bytes },
      { label: 'In memory', count: q.messages_ram, bytes: q.message_bytes_ram },
      { label: 'Paged out', count: q.messages_paged_out, bytes: q.message_bytes_paged_out },
      { label: 'Persistent', count: q.messages_persistent, bytes: q.message_bytes_persistent },
    ], { class: 'depth' }));
    const s = q.message_stats;
    history.push({ publish: rateOf(s, 'publish') ?? 0, deliver_get: rateOf(s, 'deliver_get') ?? 0, ack: rateOf(s, 'ack') ?? 0, redeliver: rateOf(s, 'redeliver') ?? 0 });
    chartBox.replaceChildren(h('h3', null, 'Rates'), lineChart(history, [
      { key: 'publish', label: 'Incoming' }, { key: 'deliver_get', label: 'Deliver / get' }, { key: 'ack', label: 'Ack' }, { key: 'redeliver', label: 'Redelivered' },
    ], { format: fmtRate, height: 120 }));
    argsBox.replaceChildren(
      h('h3', null, 'Arguments'), kvTable(q.arguments, { empty: 'No arguments' }),
      h('h3', null, 'Effective policy definition'), kvTable(q.effective_policy_definition, { empty: 'No policy applies' }),
      h('p', { class: 'muted' }, 'Durable ', fmtBool(q.durable), ' · auto-delete ', fmtBool(q.auto_delete), ' · exclusive ', fmtBool(q.exclusive)));
    consumersBox.replaceChildren(table([
      { title: 'Channel', value: c => c.channel_details?.name ? link(['channels', c.channel_details.name], c.channel_details.name) : '—' },
      { title: 'Consumer tag', value: c => c.consumer_tag },
      { title: 'Ack required', value: c => fmtBool(c.ack_required) },
      { title: 'Exclusive', value: c => fmtBool(c.exclusive) },
      { title: 'Prefetch', value: c => fmtNum(c.prefetch_count), num: true },
      { title: 'Active', value: c => fmtBool(c.active) },
      { title: 'Arguments', value: c => Object.keys(c.arguments ?? {}).length ? h('code', null, JSON.stringify(c.arguments)) : '' },
    ], q.consumer_details ?? [], { empty: 'No consumers' }));
  }

  async function loadBindings() {
    const rows = await ctx.api.get(path + '/bindings');
    if (!ctx.current()) return;
    bindingsBox.replaceChildren(table([
      { title: 'From exchange', value: b => b.source === '' ? h('span', { class: 'muted' }, '(default exchange binding)') : link(['exchanges', vhost, b.source], b.source) },
      { title: 'Routing key', value: b => h('code', null, b.routing_key) },
      { title: 'Arguments', value: b => Object.keys(b.arguments ?? {}).length ? h('code', null, JSON.stringify(b.arguments)) : '' },
      { title: '', value: b => b.source === '' ? '' : button('Unbind', e => busy(e.target, async () => {
        await ctx.api.delete(apiPath`/bindings/${vhost}/e/${b.source}/q/${name}/${b.properties_key}`);
        ctx.toast(`Unbound from ${b.source}`);
        loadBindings();
      }), { kind: 'danger', class: 'btn btn-danger btn-small unbind' }) },
    ], rows, { empty: 'No bindings', class: 'bindings' }));
  }
}

function addBindingForm(ctx, vhost, queue, done) {
  const exchange = input({ id: 'bind-exchange', placeholder: 'exchange name', list: 'bind-exchange-list', required: true });
  const list = h('datalist', { id: 'bind-exchange-list' });
  ctx.api.get(apiPath`/exchanges/${vhost}` + '?columns=name', { quiet: true })
    .then(xs => list.replaceChildren(...xs.filter(x => x.name).map(x => h('option', { value: x.name })))).catch(() => {});
  const key = input({ id: 'bind-routing-key', placeholder: 'routing key' });
  const args = argsEditor(1);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'bind-submit' }, 'Bind');
  return h('form', { class: 'form add-binding', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      await ctx.api.post(apiPath`/bindings/${vhost}/e/${exchange.value}/q/${queue}`, { routing_key: key.value, arguments: args.value() });
      ctx.toast(`Bound to ${exchange.value}`);
      exchange.value = '';
      key.value = '';
      done();
    });
  } },
    h('h3', null, 'Add binding from an exchange'),
    field('From exchange', h('div', null, exchange, list)), field('Routing key', key), field('Arguments', args.el),
    h('div', { class: 'form-actions' }, submit));
}

function getMessages(ctx, path, changed) {
  const ackmode = select([
    ['ack_requeue_true', 'Nack message, requeue true'],
    ['reject_requeue_true', 'Reject, requeue true'],
    ['ack_requeue_false', 'Automatic ack (removes them)'],
    ['reject_requeue_false', 'Reject, requeue false (dead-letters them)'],
  ], 'ack_requeue_true', { id: 'get-ackmode' });
  const count = input({ id: 'get-count', type: 'number', min: 1, value: '1', class: 'narrow' });
  const results = h('div', { id: 'got-messages' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'get-submit' }, 'Get messages');
  const form = h('form', { class: 'toolbar', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      const messages = await ctx.api.post(path + '/get', { count: Number(count.value), ackmode: ackmode.value, encoding: 'base64', truncate: 50000 });
      mount(results, messages.length
        ? messages.map((m, i) => messageCard(m, i))
        : h('p', { class: 'muted', id: 'queue-empty' }, 'Queue is empty'));
      changed();
    });
  } },
    h('label', null, 'Ack mode ', ackmode), h('label', null, 'Messages ', count), submit,
    h('span', { class: 'muted' }, 'Requeued messages come back marked redelivered.'));
  return h('div', null, form, results);
}

function moveForm(ctx, vhost, source, changed) {
  const destination = input({ id: 'move-destination', placeholder: 'destination queue', list: 'move-queue-list', required: true });
  const list = h('datalist', { id: 'move-queue-list' });
  ctx.api.get(apiPath`/queues/${vhost}` + '?columns=name&page=1&page_size=500', { quiet: true })
    .then(r => list.replaceChildren(...r.items.filter(q => q.name !== source).map(q => h('option', { value: q.name })))).catch(() => {});
  const count = input({ id: 'move-count', type: 'number', min: 1, placeholder: 'all', class: 'narrow' });
  const status = h('span', { class: 'muted', id: 'move-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'move-submit' }, 'Move messages');
  return h('div', null,
    h('p', { class: 'muted' }, 'Moves ready messages to another queue of this virtual host, properties and headers kept. The browser takes them in batches of 100 (get with ack) and republishes them through the default exchange; if the destination stops taking them, the rest of the batch goes back to this queue. Not atomic: use it while no consumer competes.'),
    h('form', { class: 'toolbar', onsubmit: e => {
      e.preventDefault();
      busy(submit, async () => {
        const max = count.value ? Number(count.value) : Infinity;
        const moved = await moveMessages(ctx, vhost, source, destination.value, max, n => { status.textContent = `${fmtNum(n)} moved…`; });
        status.textContent = `${fmtNum(moved)} moved to ${destination.value}`;
        ctx.toast(`${moved} messages moved to ${destination.value}`);
        changed();
      });
    } }, h('label', null, 'To queue ', destination, list), h('label', null, 'Count ', count), submit, status));
}

function deleteForm(ctx, path, name) {
  const ifEmpty = h('input', { type: 'checkbox', id: 'delete-if-empty' });
  const ifUnused = h('input', { type: 'checkbox', id: 'delete-if-unused' });
  return h('div', null,
    h('div', { class: 'toolbar' }, h('label', null, ifEmpty, ' Only if empty'), h('label', null, ifUnused, ' Only if unused')),
    button('Delete queue', e => busy(e.target, async () => {
      if (!confirm(`Delete queue ${name}?`)) return;
      const query = new URLSearchParams();
      if (ifEmpty.checked) query.set('if-empty', 'true');
      if (ifUnused.checked) query.set('if-unused', 'true');
      await ctx.api.delete(path + (query.size ? '?' + query : ''));
      ctx.toast(`Queue ${name} deleted`);
      ctx.navigate('queues');
    }), { kind: 'danger', id: 'delete-button' }));
}
