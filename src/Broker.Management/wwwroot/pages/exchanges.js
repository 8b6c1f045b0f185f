// Exchanges: the server-side paged listing with filter and sort, message rates, and a form to add one.
import { h, section, table, link, pager, field, input, select, argsEditor, busy } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum, fmtRate, rateOf } from '../js/format.js';
import { features } from '../js/features.js';

export function exchangeLabel(name) {
  return name === '' ? '(AMQP default)' : name;
}

export async function render(root, params, ctx) {
  const q = params.query;
  const state = { page: Number(q.get('page') ?? 1), name: q.get('name') ?? '', regex: q.get('regex') === 'true', sort: q.get('sort') ?? 'name', reverse: q.get('reverse') === 'true' };
  const search = input({ id: 'exchange-filter', type: 'search', placeholder: 'Filter by name', value: state.name, class: 'filter' });
  const regex = h('input', { id: 'exchange-filter-regex', type: 'checkbox', checked: state.regex });
  const listing = h('div', { id: 'exchange-list' });
  const summary = h('span', { class: 'muted' });
  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Exchanges'), summary),
    section(ctx.vhost ? `Exchanges in ${ctx.vhost}` : 'All exchanges',
      h('div', { class: 'toolbar' }, search, h('label', null, regex, ' Regex')),
      listing),
    addExchangeForm(ctx));

  let debounce;
  const poller = ctx.poll(load);
  const reload = () => { ctx.setQuery({ page: state.page > 1 ? state.page : null, name: state.name, regex: state.regex, sort: state.sort !== 'name' ? state.sort : null, reverse: state.reverse }); poller.now(); };
  search.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(() => { state.name = search.value; state.page = 1; reload(); }, 250); });
  regex.addEventListener('change', () => { state.regex = regex.checked; state.page = 1; reload(); });
  ctx.onLeave(() => clearTimeout(debounce));

  async function load() {
    const query = new URLSearchParams({ page: state.page, page_size: 100, name: state.name, use_regex: state.regex, sort: state.sort, sort_reverse: state.reverse });
    let result;
    try {
      result = await ctx.api.get((ctx.vhost ? apiPath`/exchanges/${ctx.vhost}` : '/exchanges') + '?' + query, { quiet: true });
    } catch (e) {
      if (e.error === 'page_out_of_range' && state.page > 1) { state.page = 1; reload(); return; }
      if (e.status === 400) { listing.replaceChildren(h('p', { class: 'muted' }, `Filter not accepted: ${e.message}`)); return; }
      throw e;
    }
    if (!ctx.current()) return;
    summary.textContent = `${fmtNum(result.total_count)} exchanges`;
    const cols = [];
    if (!ctx.vhost) cols.push({ title: 'Virtual host', value: r => r.vhost, sort: 'vhost' });
    cols.push(
      { title: 'Name', value: r => link(['exchanges', r.vhost, r.name === '' ? 'amq.default' : r.name], exchangeLabel(r.name)), sort: 'name' },
      { title: 'Type', value: r => r.type, sort: 'type' },
      { title: 'Features', value: r => features(r) },
      { title: 'Policy', value: r => r.policy ?? '' },
      { title: 'Message rate in', value: r => fmtRate(rateOf(r.message_stats, 'publish_in')), num: true, sort: 'message_stats.publish_in_details.rate' },
      { title: 'Message rate out', value: r => fmtRate(rateOf(r.message_stats, 'publish_out')), num: true, sort: 'message_stats.publish_out_details.rate' });
    listing.replaceChildren(
      table(cols, result.items, {
        sort: { key: state.sort, reverse: state.reverse },
        onSort: key => { if (state.sort === key) state.reverse = !state.reverse; else { state.sort = key; state.reverse = key.startsWith('message_stats'); } reload(); },
        empty: 'No exchanges', class: 'exchanges',
      }),
      pager({ page: result.page, pageCount: result.page_count, total: result.total_count, filtered: state.name ? result.filtered_count : undefined, onPage: p => { state.page = p; reload(); } }));
  }
}

function addExchangeForm(ctx) {
  const vhost = select(ctx.vhosts, ctx.vhost || (ctx.vhosts.includes('/') ? '/' : ctx.vhosts[0]), { id: 'new-exchange-vhost' });
  const name = input({ id: 'new-exchange-name', required: true, placeholder: 'exchange name' });
  const types = (ctx.overview.exchange_types ?? []).map(t => t.name);
  const type = select(types.length ? types : ['direct', 'fanout', 'topic', 'headers'], 'direct', { id: 'new-exchange-type' });
  const durable = select([['true', 'Durable'], ['false', 'Transient']], 'true', { id: 'new-exchange-durable' });
  const autoDelete = select([['false', 'No'], ['true', 'Yes']], 'false');
  const internal = select([['false', 'No'], ['true', 'Yes']], 'false');
  const args = argsEditor(1);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'new-exchange-submit' }, 'Add exchange');
  return section('Add an exchange', { id: 'add-exchange' }, h('form', { class: 'form', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      await ctx.api.put(apiPath`/exchanges/${vhost.value}/${name.value}`, { type: type.value, durable: durable.value === 'true', auto_delete: autoDelete.value === 'true', internal: internal.value === 'true', arguments: args.value() });
      ctx.toast(`Exchange ${name.value} added`);
      ctx.refresh();
    });
  } },
    field('Virtual host', vhost), field('Name', name), field('Type', type), field('Durability', durable), field('Auto delete', autoDelete), field('Internal', internal),
    field('Arguments', args.el, 'e.g. alternate-exchange'),
    h('div', { class: 'form-actions' }, submit)));
}
