// "Explain this route": for a routing key and headers, which bindings of an exchange (and of every
// exchange the message reaches from it) match and why the others do not, and the queues reached.
// Uses POST /api/exchanges/VHOST/NAME/explain (our extension). The exchange page includes
// explainPanel(ctx, vhost, name); #/explain/VHOST/NAME shows it alone.
import { h, section, table, link, button, field, input, argsEditor, badge, busy } from '../js/dom.js';
import { apiPath } from '../js/api.js';

const displayName = name => name === '' ? '(AMQP default)' : name;
const pathName = name => name === '' ? 'amq.default' : name;

/** The explain form and its result, as a panel. */
export function explainPanel(ctx, vhost, name) {
  const key = input({ id: 'explain-key', placeholder: 'e.g. orders.eu.created', autocomplete: 'off' });
  // A json row gives arrays and tables (CC / BCC routing keys: ["a.b", "c.d"]).
  const headers = argsEditor(1, ['string', 'number', 'boolean', 'json']);
  const result = h('div', { id: 'explain-result' });
  const run = button('Explain', null, { kind: 'primary', id: 'explain-run', type: 'submit' });
  const form = h('form', { class: 'form explain-form', onsubmit: e => {
    e.preventDefault();
    let values;
    try {
      values = headerValues(headers.el);
    } catch (err) {
      ctx.showError(err.message);
      return;
    }
    busy(run, async () => {
      const answer = await ctx.api.post(apiPath`/exchanges/${vhost}/${pathName(name)}/explain`, { routing_key: key.value, headers: values });
      if (ctx.current()) result.replaceChildren(...renderAnswer(answer, vhost));
    });
  } },
    field('Routing key', key),
    field('Headers', headers.el, 'compared by headers exchanges (also x-delay, hash-header; CC as json ["key"])'),
    h('div', { class: 'form-actions' }, run, h('span', { class: 'muted form-note' }, 'Nothing is published.')));
  return section('Explain this route', { id: 'explain' },
    h('p', { class: 'muted' }, 'Which bindings would a message with this routing key and these headers match, and why do the others not?'),
    form, result);
}

/** The editor's rows as an object; json rows are parsed (an error names the header). */
function headerValues(rows) {
  const out = {};
  for (const row of rows.children) {
    const key = row.querySelector('.arg-key').value.trim();
    if (!key) continue;
    const raw = row.querySelector('.arg-value').value;
    const type = row.querySelector('.arg-type').value;
    if (type === 'json') {
      try { out[key] = JSON.parse(raw); } catch (e) { throw new Error(`Header ${key} is not JSON: ${e.message}`); }
    } else {
      out[key] = type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' : raw;
    }
  }
  return out;
}

function renderAnswer(answer, vhost) {
  const queues = answer.queues ?? [];
  const delayed = answer.delayed ?? [];
  const summary = queues.length
    ? h('p', { class: 'explain-summary ok', id: 'explain-summary' }, `Reaches ${queues.length} queue${queues.length === 1 ? '' : 's'}: `,
        queues.map((q, i) => [i ? ', ' : '', link(['queues', vhost, q], q)]))
    : h('p', { class: 'explain-summary bad', id: 'explain-summary' }, delayed.length
        ? 'No queue now: a delayed exchange holds the message.'
        : 'Reaches no queue: the message would be dropped (or returned, if published as mandatory).');
  const extra = [];
  for (const d of delayed) extra.push(h('p', { class: 'muted' }, `Held by ${displayName(d.exchange)} for ${d.delay} ms, then routed by its bindings.`));
  if (answer.invalid_delay) extra.push(h('p', { class: 'explain-summary bad' }, 'The x-delay header is not an integer: the publish fails.'));
  return [summary, ...extra, ...(answer.exchanges ?? []).map(visit => renderVisit(visit, vhost))];
}

const columns = vhost => [
  { title: 'Match', value: b => b.matched ? badge('yes', 'ok') : badge('no', 'bad') },
  { title: 'Destination', value: b => h('span', null, link([b.destination_type === 'exchange' ? 'exchanges' : 'queues', vhost, b.destination], b.destination), h('span', { class: 'muted' }, ` ${b.destination_type}`)) },
  { title: 'Binding key', value: b => b.routing_key === '' ? h('span', { class: 'muted' }, '(empty)') : h('code', null, b.routing_key) },
  { title: 'Arguments', value: b => Object.keys(b.arguments ?? {}).length ? h('code', null, JSON.stringify(b.arguments)) : '—', class: 'wrap' },
  { title: 'Why', value: b => b.reason, class: 'wrap explain-reason' },
];

function renderVisit(visit, vhost) {
  const title = h('div', { class: 'explain-visit-head' },
    h('b', null, link(['exchanges', vhost, pathName(visit.name)], displayName(visit.name))),
    ' ', badge(visit.type, 'info'),
    h('span', { class: 'muted' }, ` ${visit.reached_by}, routing key `), h('code', null, visit.routing_key || '""'));
  const notes = [];
  if (visit.alternate_exchange) notes.push(h('li', null, `Alternate exchange ${visit.alternate_exchange} — ${visit.alternate}`));
  for (const note of visit.notes ?? []) notes.push(h('li', null, note));
  return h('div', { class: 'explain-visit', dataset: { exchange: visit.name } },
    title,
    h('p', { class: 'muted explain-rule' }, visit.rule),
    table(columns(vhost), visit.bindings ?? [], { empty: 'No bindings', rowClass: b => b.matched ? 'matched' : 'unmatched', class: 'explain-bindings' }),
    notes.length ? h('ul', { class: 'explain-notes' }, notes) : null);
}

export async function render(root, params, ctx) {
  root.append(
    h('div', { class: 'page-title' },
      h('h1', null, 'Explain route ', h('span', { class: 'kind' }, `exchange ${displayName(params.name)} in ${params.vhost}`)),
      link(['exchanges', params.vhost, pathName(params.name)], 'Back to the exchange')),
    explainPanel(ctx, params.vhost, params.name));
}
