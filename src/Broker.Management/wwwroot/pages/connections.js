// Connections: the list (client name, user, address, protocol, channels, rates, state) and one
// connection (details, client properties, channels, close with a reason).
import { h, section, table, link, button, field, input, kvTable, badge, busy, pager } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum, fmtBytes, fmtRate, fmtTime, fmtBool } from '../js/format.js';

const PAGE_SIZE = 100;

/** The name a client gave its connection (connection_name), which is what people know it by. */
export const clientName = c => c.client_properties?.connection_name ?? c.user_provided_name ?? '';

export function stateBadge(state) {
  const kind = state === 'running' ? 'ok' : state === 'blocked' || state === 'blocking' || state === 'flow' ? 'warn' : state === 'closing' || state === 'closed' ? 'bad' : 'info';
  return badge(state ?? 'unknown', kind);
}

export const rate = (details) => fmtBytes(details?.rate ?? 0) + '/s';

export async function render(root, params, ctx) {
  if (params.name !== undefined) return renderOne(root, params.name, ctx);

  const filter = input({ id: 'connection-filter', placeholder: 'Filter by name (regex)', type: 'search', value: params.query.get('name') ?? '' });
  const body = h('div', { id: 'connections' });
  let page = Number(params.query.get('page') ?? 1);
  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Connections'), h('span', { class: 'muted' }, ctx.vhost ? `in virtual host ${ctx.vhost}` : 'all virtual hosts')),
    h('div', { class: 'toolbar' }, filter, h('span', { class: 'grow' })),
    section('Open connections', body));

  const columns = [
    { title: 'Client name', value: c => h('div', null,
      link(['connections', c.name], clientName(c) || c.name, { class: 'connection-link' }),
      clientName(c) ? h('div', { class: 'muted small' }, c.name) : null), class: 'wrap' },
    { title: 'Virtual host', value: c => c.vhost },
    { title: 'User', value: c => c.user },
    { title: 'Address', value: c => h('span', { class: 'mono' }, `${c.peer_host}:${c.peer_port}`) },
    { title: 'Protocol', value: c => c.protocol },
    { title: 'Channels', value: c => fmtNum(c.channels), num: true },
    { title: 'From client', value: c => rate(c.recv_oct_details), num: true },
    { title: 'To client', value: c => rate(c.send_oct_details), num: true },
    { title: 'State', value: c => stateBadge(c.state) },
  ];

  const poller = ctx.poll(async () => {
    const base = ctx.vhost ? apiPath`/vhosts/${ctx.vhost}/connections` : '/connections';
    const query = new URLSearchParams({ page, page_size: PAGE_SIZE });
    if (filter.value) { query.set('name', filter.value); query.set('use_regex', 'true'); }
    const answer = await ctx.api.get(`${base}?${query}`);
    if (!ctx.current()) return;
    body.replaceChildren(
      table(columns, answer.items ?? [], { empty: 'No connections', class: 'connections' }),
      pager({ page: answer.page, pageCount: answer.page_count, total: answer.total_count, filtered: answer.filtered_count,
        onPage: p => { page = p; ctx.setQuery({ page: p }); poller.now(); } }));
  });
  filter.addEventListener('input', () => { page = 1; ctx.setQuery({ name: filter.value, page: null }); poller.now(); });
}

async function renderOne(root, name, ctx) {
  const details = h('div');
  const props = h('div', { id: 'client-properties' });
  const channels = h('div', { id: 'connection-channels' });
  const title = h('h1', null, 'Connection ', h('span', { class: 'kind' }, name));
  const reason = input({ id: 'close-reason', placeholder: 'Closed via management plugin', size: 40 });
  const close = button('Force close', null, { kind: 'danger', id: 'close-connection', type: 'submit' });
  const closeForm = h('form', { class: 'form', onsubmit: e => {
    e.preventDefault();
    if (!confirm(`Close connection ${name}?`)) return;
    busy(close, async () => {
      await ctx.api.delete(apiPath`/connections/${name}`, reason.value ? { headers: { 'X-Reason': reason.value } } : {});
      ctx.toast('Connection closed');
      ctx.navigate('connections');
    });
  } }, field('Reason', reason, 'sent to the client in connection.close (320 CONNECTION_FORCED)'), h('div', { class: 'form-actions' }, close));

  root.append(
    h('div', { class: 'page-title' }, title, link('connections', 'All connections')),
    h('div', { class: 'grid-2 spaced' }, section('Details', details), section('Client properties', props)),
    section('Channels', channels),
    section('Close this connection', closeForm));

  ctx.poll(async () => {
    const [c, chans] = await Promise.all([
      ctx.api.get(apiPath`/connections/${name}`),
      ctx.api.get(apiPath`/connections/${name}/channels`),
    ]);
    if (!ctx.current()) return;
    if (clientName(c)) title.replaceChildren('Connection ', h('span', { class: 'kind' }, clientName(c)));
    details.replaceChildren(kvTable({
      Name: c.name,
      'Client name': clientName(c) || '—',
      'Virtual host': c.vhost,
      User: c.user,
      State: stateBadge(c.state),
      Address: `${c.peer_host}:${c.peer_port} → ${c.host}:${c.port}`,
      Protocol: c.protocol,
      Authentication: c.auth_mechanism,
      TLS: fmtBool(c.ssl),
      Heartbeat: c.timeout ? `${c.timeout} s` : 'off',
      'Frame max': fmtNum(c.frame_max),
      'Channel max': fmtNum(c.channel_max),
      'Connected at': fmtTime(c.connected_at),
      'From client': `${rate(c.recv_oct_details)} (${fmtBytes(c.recv_oct)} total)`,
      'To client': `${rate(c.send_oct_details)} (${fmtBytes(c.send_oct)} total)`,
    }));
    props.replaceChildren(clientProperties(c.client_properties ?? {}));
    channels.replaceChildren(table(channelColumns(), chans, { empty: 'No channels' }));
  });
}

/** Client properties, with the capabilities table flattened into a list of badges. */
function clientProperties(p) {
  const shown = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'capabilities' && v && typeof v === 'object') {
      shown[k] = h('span', { class: 'caps' }, Object.entries(v).map(([cap, on]) => badge(cap, on ? 'ok' : undefined)));
    } else {
      shown[k] = v;
    }
  }
  return kvTable(shown, { empty: 'No client properties' });
}

/** Columns shared with the channels page. */
export function channelColumns() {
  return [
    { title: 'Channel', value: c => link(['channels', c.name], c.name, { class: 'channel-link' }) },
    { title: 'Mode', value: c => [c.confirm ? badge('confirm', 'info') : null, c.transactional ? badge('tx', 'info') : null] },
    { title: 'Prefetch', value: c => prefetch(c), num: true, tip: 'per consumer (global per channel)' },
    { title: 'Unacked', value: c => fmtNum(c.messages_unacknowledged), num: true },
    { title: 'Unconfirmed', value: c => fmtNum(c.messages_unconfirmed), num: true },
    { title: 'Consumers', value: c => fmtNum(c.consumer_count), num: true },
    { title: 'Publish', value: c => fmtRate(c.message_stats?.publish_details?.rate ?? 0), num: true },
    { title: 'Deliver / get', value: c => fmtRate(c.message_stats?.deliver_get_details?.rate ?? 0), num: true },
    { title: 'Ack', value: c => fmtRate(c.message_stats?.ack_details?.rate ?? 0), num: true },
    { title: 'State', value: c => stateBadge(c.state) },
  ];
}

export function prefetch(c) {
  const own = c.prefetch_count ? fmtNum(c.prefetch_count) : '—';
  return c.global_prefetch_count ? `${own} (${fmtNum(c.global_prefetch_count)} global)` : own;
}
