// Channels: the list (prefetch, unacked, consumers, rates) and one channel with its consumers.
import { h, section, table, link, kvTable, pager, input } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum, fmtRate, fmtBool } from '../js/format.js';
import { channelColumns, stateBadge, prefetch, clientName } from './connections.js';

const PAGE_SIZE = 100;

export async function render(root, params, ctx) {
  if (params.name !== undefined) return renderOne(root, params.name, ctx);

  const filter = input({ id: 'channel-filter', placeholder: 'Filter by name (regex)', type: 'search', value: params.query.get('name') ?? '' });
  const body = h('div', { id: 'channels' });
  let page = Number(params.query.get('page') ?? 1);
  let clientNames = new Map();
  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Channels'), h('span', { class: 'muted' }, ctx.vhost ? `in virtual host ${ctx.vhost}` : 'all virtual hosts')),
    h('div', { class: 'toolbar' }, filter, h('span', { class: 'grow' })),
    section('Open channels', body));

  const columns = [
    ...channelColumns().slice(0, 1),
    { title: 'Connection', value: c => {
      const connection = c.connection_details?.name ?? '';
      const client = clientNames.get(connection);
      return h('div', null, link(['connections', connection], client || connection || '—'), client ? h('div', { class: 'muted small' }, connection) : null);
    }, class: 'wrap' },
    { title: 'User', value: c => c.user },
    { title: 'Virtual host', value: c => c.vhost },
    ...channelColumns().slice(1),
  ];

  const poller = ctx.poll(async () => {
    const base = ctx.vhost ? apiPath`/vhosts/${ctx.vhost}/channels` : '/channels';
    const query = new URLSearchParams({ page, page_size: PAGE_SIZE });
    if (filter.value) { query.set('name', filter.value); query.set('use_regex', 'true'); }
    // Channels carry their connection's name only; the client's name for it comes from the connections.
    const [answer, connections] = await Promise.all([
      ctx.api.get(`${base}?${query}`),
      ctx.api.get(ctx.vhost ? apiPath`/vhosts/${ctx.vhost}/connections` : '/connections'),
    ]);
    if (!ctx.current()) return;
    clientNames = new Map(connections.map(c => [c.name, clientName(c)]));
    body.replaceChildren(
      table(columns, answer.items ?? [], { empty: 'No channels', class: 'channels' }),
      pager({ page: answer.page, pageCount: answer.page_count, total: answer.total_count, filtered: answer.filtered_count,
        onPage: p => { page = p; ctx.setQuery({ page: p }); poller.now(); } }));
  });
  filter.addEventListener('input', () => { page = 1; ctx.setQuery({ name: filter.value, page: null }); poller.now(); });
}

async function renderOne(root, name, ctx) {
  const details = h('div');
  const rates = h('div');
  const consumers = h('div', { id: 'channel-consumers' });
  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Channel ', h('span', { class: 'kind' }, name)), link('channels', 'All channels')),
    h('div', { class: 'grid-2 spaced' }, section('Details', details), section('Message rates', rates)),
    section('Consumers', consumers));

  ctx.poll(async () => {
    const c = await ctx.api.get(apiPath`/channels/${name}`);
    const connectionName = c.connection_details?.name;
    const owner = connectionName ? await ctx.api.get(apiPath`/connections/${connectionName}`, { quiet: true }).catch(() => null) : null;
    // RabbitMQ's channel carries consumer_details; otherwise the vhost's consumers on this channel.
    const consumerRows = c.consumer_details
      ?? (await ctx.api.get(apiPath`/consumers/${c.vhost}`)).filter(x => x.channel_details?.name === name);
    if (!ctx.current()) return;
    const connection = c.connection_details?.name;
    details.replaceChildren(kvTable({
      Connection: connection ? h('span', null, link(['connections', connection], (owner && clientName(owner)) || connection),
        owner && clientName(owner) ? h('span', { class: 'muted' }, ` ${connection}`) : null) : '—',
      'Virtual host': c.vhost,
      User: c.user,
      State: stateBadge(c.state),
      Prefetch: prefetch(c),
      Confirm: fmtBool(c.confirm),
      Transactional: fmtBool(c.transactional),
      Unacked: fmtNum(c.messages_unacknowledged),
      Unconfirmed: fmtNum(c.messages_unconfirmed),
      Uncommitted: fmtNum(c.messages_uncommitted),
      Consumers: fmtNum(c.consumer_count),
    }));
    const s = c.message_stats ?? {};
    rates.replaceChildren(kvTable({
      Publish: fmtRate(s.publish_details?.rate ?? 0),
      Confirm: fmtRate(s.confirm_details?.rate ?? 0),
      Unroutable: fmtRate(s.return_unroutable_details?.rate ?? 0),
      'Deliver / get': fmtRate(s.deliver_get_details?.rate ?? 0),
      Redelivered: fmtRate(s.redeliver_details?.rate ?? 0),
      Ack: fmtRate(s.ack_details?.rate ?? 0),
    }));
    consumers.replaceChildren(table([
      { title: 'Consumer tag', value: x => h('code', null, x.consumer_tag), class: 'wrap' },
      { title: 'Queue', value: x => link(['queues', x.queue?.vhost ?? c.vhost, x.queue?.name ?? ''], x.queue?.name ?? '—') },
      { title: 'Ack required', value: x => fmtBool(x.ack_required) },
      { title: 'Exclusive', value: x => fmtBool(x.exclusive) },
      { title: 'Prefetch', value: x => fmtNum(x.prefetch_count), num: true },
      { title: 'Arguments', value: x => Object.keys(x.arguments ?? {}).length ? h('code', null, JSON.stringify(x.arguments)) : '—' },
    ], consumerRows, { empty: 'No consumers' }));
  });
}
