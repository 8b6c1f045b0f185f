// Queues: one page of the server-side listing (page, page_size, name, use_regex, sort, sort_reverse),
// so thousands of queues stay fast; depths and rates per queue; a form to add a queue.
import { h, section, table, link, pager, field, input, select, argsEditor, busy, badge } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum, fmtRate, rateOf } from '../js/format.js';
import { features } from '../js/features.js';

export async function render(root, params, ctx) {
  const q = params.query;
  const state = {
    page: Number(q.get('page') ?? 1),
    pageSize: Number(q.get('page_size') ?? 100),
    name: q.get('name') ?? '',
    regex: q.get('regex') === 'true',
    sort: q.get('sort') ?? 'name',
    reverse: q.get('reverse') === 'true',
  };

  const search = input({ id: 'queue-filter', type: 'search', placeholder: 'Filter by name', value: state.name, class: 'filter' });
  const regex = h('input', { id: 'queue-filter-regex', type: 'checkbox', checked: state.regex });
  const pageSize = select(['20', '50', '100', '500'], String(state.pageSize), { id: 'queue-page-size', title: 'Queues per page' });
  const listing = h('div', { id: 'queue-list' });
  const summary = h('span', { class: 'muted', id: 'queue-summary' });

  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Queues'), summary),
    section(ctx.vhost ? `Queues in ${ctx.vhost}` : 'All queues',
      h('div', { class: 'toolbar' },
        search,
        h('label', { title: 'Treat the filter as a regular expression' }, regex, ' Regex'),
        h('span', { class: 'grow' }),
        h('label', null, 'Page size ', pageSize)),
      listing),
    addQueueForm(ctx));

  let debounce;
  const poller = ctx.poll(load);
  const reload = () => { ctx.setQuery({ page: state.page > 1 ? state.page : null, page_size: state.pageSize !== 100 ? state.pageSize : null, name: state.name, regex: state.regex, sort: state.sort !== 'name' ? state.sort : null, reverse: state.reverse }); poller.now(); };
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.name = search.value; state.page = 1; reload(); }, 250);
  });
  regex.addEventListener('change', () => { state.regex = regex.checked; state.page = 1; reload(); });
  pageSize.addEventListener('change', () => { state.pageSize = Number(pageSize.value); state.page = 1; reload(); });
  ctx.onLeave(() => clearTimeout(debounce));

  async function load() {
    const query = new URLSearchParams({ page: state.page, page_size: state.pageSize, name: state.name, use_regex: state.regex, sort: state.sort, sort_reverse: state.reverse });
    let result;
    try {
      result = await ctx.api.get((ctx.vhost ? apiPath`/queues/${ctx.vhost}` : '/queues') + '?' + query, { quiet: true });
    } catch (e) {
      // The list shrank under the current page: start again at page 1.
      if (e.error === 'page_out_of_range' && state.page > 1) { state.page = 1; reload(); return; }
      // A half-typed regex is answered 400: say so beside the filter instead of a banner.
      if (e.status === 400) { listing.replaceChildren(h('p', { class: 'muted' }, `Filter not accepted: ${e.message}`)); return; }
      throw e;
    }
    if (!ctx.current()) return;
    if (result.page_count > 0 && state.page > result.page_count) { state.page = result.page_count; reload(); return; }
    summary.textContent = `${fmtNum(result.total_count)} queues`;
    listing.replaceChildren(
      table(columns(ctx), result.items, {
        sort: { key: state.sort, reverse: state.reverse },
        onSort: key => { if (state.sort === key) state.reverse = !state.reverse; else { state.sort = key; state.reverse = key !== 'name' && key !== 'vhost'; } reload(); },
        empty: state.name ? 'No queue matches the filter' : 'No queues',
        class: 'queues',
      }),
      pager({ page: result.page, pageCount: result.page_count, total: result.total_count, filtered: state.name ? result.filtered_count : undefined, onPage: p => { state.page = p; reload(); } }));
  }
}

function columns(ctx) {
  const cols = [];
  if (!ctx.vhost) cols.push({ title: 'Virtual host', value: r => r.vhost, sort: 'vhost' });
  cols.push(
    { title: 'Name', value: r => link(['queues', r.vhost, r.name], r.name || '(unnamed)'), sort: 'name', class: 'name' },
    { title: 'Type', value: r => r.type, sort: 'type' },
    { title: 'Features', value: r => features(r) },
    { title: 'Policy', value: r => r.policy ? badge(r.policy, 'info') : '' },
    { title: 'Consumers', value: r => fmtNum(r.consumers), sort: 'consumers', num: true },
    { title: 'Ready', value: r => fmtNum(r.messages_ready), sort: 'messages_ready', num: true },
    { title: 'Unacked', value: r => fmtNum(r.messages_unacknowledged), sort: 'messages_unacknowledged', num: true },
    { title: 'Total', value: r => fmtNum(r.messages), sort: 'messages', num: true },
    { title: 'Incoming', value: r => fmtRate(rateOf(r.message_stats, 'publish')), sort: 'message_stats.publish_details.rate', num: true, tip: 'messages published into the queue per second' },
    { title: 'Deliver / get', value: r => fmtRate(rateOf(r.message_stats, 'deliver_get')), sort: 'message_stats.deliver_get_details.rate', num: true },
    { title: 'Ack', value: r => fmtRate(rateOf(r.message_stats, 'ack')), sort: 'message_stats.ack_details.rate', num: true });
  return cols;
}

function addQueueForm(ctx) {
  const vhost = select(ctx.vhosts, ctx.vhost || (ctx.vhosts.includes('/') ? '/' : ctx.vhosts[0]), { id: 'new-queue-vhost' });
  const name = input({ id: 'new-queue-name', placeholder: 'queue name', required: true });
  const type = select([['classic', 'Classic'], ['quorum', 'Quorum'], ['stream', 'Stream']], 'classic', { id: 'new-queue-type' });
  const durable = select([['true', 'Durable'], ['false', 'Transient']], 'true', { id: 'new-queue-durable' });
  const autoDelete = select([['false', 'No'], ['true', 'Yes']], 'false', { id: 'new-queue-auto-delete' });
  const args = argsEditor(1);
  const quick = ['x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-overflow', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-max-priority', 'x-single-active-consumer'];
  const hints = h('div', { class: 'hint' }, 'Add: ', quick.map(k => h('a', { href: '#', class: 'arg-hint', onclick: e => {
    e.preventDefault();
    const rows = args.el.querySelectorAll('.args-row');
    const row = [...rows].find(r => !r.querySelector('.arg-key').value) ?? rows[rows.length - 1];
    row.querySelector('.arg-key').value = k;
    row.querySelector('.arg-type').value = ['x-overflow', 'x-dead-letter-exchange', 'x-dead-letter-routing-key'].includes(k) ? 'string' : k === 'x-single-active-consumer' ? 'boolean' : 'number';
    row.querySelector('.arg-value').focus();
  } }, k)));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'new-queue-submit' }, 'Add queue');
  const form = h('form', { class: 'form', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      const arguments_ = args.value();
      if (type.value !== 'classic') arguments_['x-queue-type'] = type.value;
      await ctx.api.put(apiPath`/queues/${vhost.value}/${name.value}`, { durable: durable.value === 'true', auto_delete: autoDelete.value === 'true', arguments: arguments_ });
      ctx.toast(`Queue ${name.value} added`);
      ctx.refresh();
    });
  } },
    field('Virtual host', vhost), field('Name', name), field('Type', type), field('Durability', durable), field('Auto delete', autoDelete),
    field('Arguments', h('div', null, args.el, hints)),
    h('div', { class: 'form-actions' }, submit));
  return section('Add a queue', { id: 'add-queue' }, form);
}
