// One exchange: details, rates, bindings from it (to queues and exchanges) and to it, add/remove a
// binding, publish a message, delete.
import { h, section, table, kvTable, link, button, field, input, select, argsEditor, busy } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { loadOrShowMissing } from '../js/object.js';
import { fmtRate, rateOf, fmtBool } from '../js/format.js';
import { features } from '../js/features.js';
import { History, lineChart } from '../js/chart.js';
import { publishForm } from '../js/publish.js';
import { exchangeLabel } from './exchanges.js';
import { explainPanel } from './explain.js';

export async function render(root, params, ctx) {
  const { vhost } = params;
  // The default exchange has no name; its page is at amq.default, as in RabbitMQ's API.
  const name = params.name === 'amq.default' ? '' : params.name;
  const path = apiPath`/exchanges/${vhost}/${name || 'amq.default'}`;
  const exchange = await loadOrShowMissing(root, ctx, path, 'exchange', name, vhost);
  if (exchange === null) return;
  if (!ctx.current()) return;

  const details = h('div', { id: 'exchange-details' });
  const chartBox = h('div');
  const outBox = h('div', { id: 'bindings-out' });
  const inBox = h('div', { id: 'bindings-in' });
  const history = new History(5 * 60 * 1000);
  const isDefault = name === '';

  root.append(
    h('div', { class: 'page-title' }, h('h1', null, h('span', { class: 'kind' }, 'Exchange'), exchangeLabel(name)), h('span', { class: 'muted' }, 'virtual host ', h('b', null, vhost))),
    h('div', { class: 'grid-2' }, section('Details', details), section('Message rates', chartBox)),
    h('div', { class: 'stack' }),
    section('Bindings from this exchange', { id: 'bindings-from' }, isDefault
      ? h('p', { class: 'muted' }, 'The default exchange is implicitly bound to every queue, with the queue name as routing key.')
      : [outBox, addBindingForm(ctx, vhost, name, () => loadBindings())]),
    isDefault ? null : section('Bindings to this exchange', { id: 'bindings-to' }, inBox),
    section('Publish message', { id: 'publish' }, publishForm(ctx, vhost, name)),
    explainPanel(ctx, vhost, name),
    isDefault || name.startsWith('amq.') ? null : section('Delete', { id: 'delete' },
      button('Delete exchange', e => busy(e.target, async () => {
        if (!confirm(`Delete exchange ${name}?`)) return;
        await ctx.api.delete(path);
        ctx.toast(`Exchange ${name} deleted`);
        ctx.navigate('exchanges');
      }), { kind: 'danger', id: 'delete-button' })));

  ctx.poll(async () => {
    const x = await ctx.api.get(path);
    if (!ctx.current()) return;
    details.replaceChildren(kvTable({
      Type: x.type,
      Features: h('span', null, features(x).length ? features(x) : 'none'),
      Policy: x.policy ?? 'none',
      Durable: fmtBool(x.durable), 'Auto delete': fmtBool(x.auto_delete), Internal: fmtBool(x.internal),
      Arguments: kvTable(x.arguments, { empty: 'none' }),
    }));
    const s = x.message_stats;
    history.push({ in: rateOf(s, 'publish_in') ?? 0, out: rateOf(s, 'publish_out') ?? 0 });
    chartBox.replaceChildren(lineChart(history, [{ key: 'in', label: 'Publish (in)' }, { key: 'out', label: 'Publish (out)' }], { format: fmtRate, height: 120 }));
  });
  if (!isDefault) loadBindings();

  async function loadBindings() {
    const [out, incoming] = await Promise.all([ctx.api.get(path + '/bindings/source'), ctx.api.get(path + '/bindings/destination')]);
    if (!ctx.current()) return;
    const unbind = b => button('Unbind', e => busy(e.target, async () => {
      await ctx.api.delete(apiPath`/bindings/${vhost}/e/${b.source}/${b.destination_type === 'queue' ? 'q' : 'e'}/${b.destination}/${b.properties_key}`);
      ctx.toast('Binding removed');
      loadBindings();
    }), { class: 'btn btn-danger btn-small unbind' });
    const target = b => link([b.destination_type === 'queue' ? 'queues' : 'exchanges', vhost, b.destination], b.destination);
    outBox.replaceChildren(table([
      { title: 'To', value: target },
      { title: 'Kind', value: b => b.destination_type },
      { title: 'Routing key', value: b => h('code', null, b.routing_key) },
      { title: 'Arguments', value: b => Object.keys(b.arguments ?? {}).length ? h('code', null, JSON.stringify(b.arguments)) : '' },
      { title: '', value: unbind },
    ], out, { empty: 'No bindings', class: 'bindings' }));
    inBox.replaceChildren(table([
      { title: 'From', value: b => link(['exchanges', vhost, b.source], b.source) },
      { title: 'Routing key', value: b => h('code', null, b.routing_key) },
      { title: 'Arguments', value: b => Object.keys(b.arguments ?? {}).length ? h('code', null, JSON.stringify(b.arguments)) : '' },
      { title: '', value: unbind },
    ], incoming, { empty: 'No exchange is bound to this one' }));
  }
}

function addBindingForm(ctx, vhost, source, done) {
  const kind = select([['q', 'To queue'], ['e', 'To exchange']], 'q', { id: 'bind-kind' });
  const destination = input({ id: 'bind-destination', required: true, placeholder: 'name' });
  const key = input({ id: 'bind-routing-key', placeholder: 'routing key' });
  const args = argsEditor(1);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'bind-submit' }, 'Bind');
  return h('form', { class: 'form add-binding', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      await ctx.api.post(apiPath`/bindings/${vhost}/e/${source}/${kind.value}/${destination.value}`, { routing_key: key.value, arguments: args.value() });
      ctx.toast(`Bound to ${destination.value}`);
      destination.value = '';
      key.value = '';
      done();
    });
  } },
    h('h3', null, 'Add binding from this exchange'),
    field('Destination', h('div', { class: 'toolbar' }, kind, destination)), field('Routing key', key), field('Arguments', args.el),
    h('div', { class: 'form-actions' }, submit));
}
