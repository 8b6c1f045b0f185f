// Overview: totals, live message rates and queued messages (charts sampled every refresh), node alarms.
import { h, section, table, kvTable, badge } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum, fmtRate, fmtBytes, rateOf, fmtDuration } from '../js/format.js';
import { History, lineChart } from '../js/chart.js';

// Kept across visits to the page so returning to the overview does not start the charts empty.
const rates = new History();
const depths = new History();

const rateSeries = [
  { key: 'publish', label: 'Publish' },
  { key: 'deliver_get', label: 'Deliver / get' },
  { key: 'ack', label: 'Consumer ack' },
  { key: 'redeliver', label: 'Redelivered' },
  { key: 'confirm', label: 'Publisher confirm' },
  { key: 'return_unroutable', label: 'Unroutable' },
];
// Total first so the ready and unacked lines are drawn over it where they coincide.
const depthSeries = [
  { key: 'total', label: 'Total', color: '#8a96a3' },
  { key: 'ready', label: 'Ready', color: '#e8833a' },
  { key: 'unacked', label: 'Unacked', color: '#2f7ed8' },
];

function tile(label, value, route, id) {
  const body = [h('div', { class: 'value', id }, value), h('div', { class: 'label' }, label)];
  return route ? h('a', { class: 'tile', href: '#/' + route }, body) : h('div', { class: 'tile' }, body);
}

export async function render(root, params, ctx) {
  const tiles = h('div', { class: 'tiles', id: 'totals' });
  const rateBox = h('div');
  const depthBox = h('div');
  const nodeBox = h('div');
  const alarmBox = h('div', { id: 'alarms' });
  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Overview'), h('span', { class: 'muted' }, ctx.vhost ? `Totals for virtual host ${ctx.vhost}` : 'Totals for all virtual hosts')),
    tiles,
    h('div', { class: 'grid-2' },
      section('Message rates', { id: 'rates' }, rateBox),
      section('Queued messages', { id: 'queued' }, depthBox)),
    h('div', { class: 'stack' }),
    h('div', { class: 'grid-2' },
      section('Node', nodeBox),
      section('Health and activity', alarmBox)));

  const seesNodes = ctx.user.tags.some(t => t === 'monitoring' || t === 'administrator');
  ctx.poll(async () => {
    // With a vhost selected the totals and rates are that vhost's (RabbitMQ's UI does the same).
    const [overview, vhost, nodes, alarms] = await Promise.all([
      ctx.api.get('/overview'),
      ctx.vhost ? ctx.api.get(apiPath`/vhosts/${ctx.vhost}`) : null,
      // Node details need the monitoring tag (or administrator); others are not asked.
      seesNodes ? ctx.api.get('/nodes', { quiet: true }).catch(() => null) : null,
      ctx.api.get('/health/checks/alarms', { quiet: true }).catch(e => e),
    ]);
    if (!ctx.current()) return;
    const stats = vhost ? vhost.message_stats : overview.message_stats;
    const totals = overview.object_totals ?? {};
    const q = vhost
      ? { messages: vhost.messages, ready: vhost.messages_ready, unacked: vhost.messages_unacknowledged }
      : { messages: overview.queue_totals?.messages, ready: overview.queue_totals?.messages_ready, unacked: overview.queue_totals?.messages_unacknowledged };

    tiles.replaceChildren(
      tile('Connections', fmtNum(totals.connections), 'connections', 'total-connections'),
      tile('Channels', fmtNum(totals.channels), 'channels', 'total-channels'),
      tile('Exchanges', fmtNum(totals.exchanges), 'exchanges', 'total-exchanges'),
      tile('Queues', fmtNum(totals.queues), 'queues', 'total-queues'),
      tile('Consumers', fmtNum(totals.consumers), null, 'total-consumers'),
      tile('Messages', fmtNum(q.messages), 'queues', 'total-messages'),
      tile('Ready', fmtNum(q.ready), null, 'total-ready'),
      tile('Unacked', fmtNum(q.unacked), null, 'total-unacked'));

    const sample = {};
    for (const s of rateSeries) sample[s.key] = rateOf(stats, s.key) ?? 0;
    rates.push(sample);
    depths.push({ ready: q.ready ?? 0, unacked: q.unacked ?? 0, total: q.messages ?? 0 });
    rateBox.replaceChildren(lineChart(rates, rateSeries, { format: fmtRate, label: 'message rates' }));
    depthBox.replaceChildren(lineChart(depths, depthSeries, { format: fmtNum, label: 'queued messages' }));

    const node = nodes?.[0];
    nodeBox.replaceChildren(kvTable({
      Node: overview.node,
      Version: `${overview.product_name} ${overview.product_version} (RabbitMQ ${overview.rabbitmq_version} compatible)`,
      Runtime: overview.erlang_full_version ?? overview.erlang_version,
      ...(node ? {
        Uptime: fmtDuration((node.uptime ?? 0) / 1000),
        Memory: `${fmtBytes(node.mem_used)} used, alarm at ${fmtBytes(node.mem_limit)}`,
        'Disk free': `${fmtBytes(node.disk_free)}, alarm below ${fmtBytes(node.disk_free_limit)}`,
        'File descriptors': `${fmtNum(node.fd_used)} of ${fmtNum(node.fd_total)}`,
      } : { Details: 'need the monitoring tag' }),
    }), h('h3', null, 'Listeners'), listeners(overview));

    const nodeAlarms = node ? [node.mem_alarm && 'memory', node.disk_free_alarm && 'disk'].filter(Boolean) : [];
    const failed = alarms?.status === 503 || (alarms && alarms.status === 'failed');
    alarmBox.replaceChildren(nodeAlarms.length || failed
      ? h('div', null, badge('ALARM', 'bad'), ' ', nodeAlarms.length ? `Resource alarm: ${nodeAlarms.join(', ')} — publishers are blocked` : alarms.reason ?? 'alarms in effect')
      : h('div', null, badge('OK', 'ok'), ' No resource alarms (memory, disk)'),
      h('h3', null, 'Activity since start'),
      kvTable({
        'Connections opened': fmtNum(overview.churn_rates?.connection_created),
        'Connections closed': fmtNum(overview.churn_rates?.connection_closed),
        'Messages published': fmtNum(stats?.publish ?? stats?.publish_in),
        'Messages delivered / got': fmtNum(stats?.deliver_get),
        'Messages acknowledged': fmtNum(stats?.ack),
        'Redelivered': fmtNum(stats?.redeliver),
        'Unroutable (returned or dropped)': fmtNum((stats?.return_unroutable ?? 0) + (stats?.drop_unroutable ?? 0)),
        'Virtual hosts': fmtNum(ctx.vhosts.length),
      }),
      h('p', { class: 'muted' }, 'Alarms from /api/nodes and /api/health/checks/alarms.'));
  });
}

function listeners(overview) {
  const rows = overview.listeners ?? [];
  if (!rows.length) return null;
  return table([
    { title: 'Protocol', value: l => l.protocol },
    { title: 'Bound to', value: l => l.ip_address },
    { title: 'Port', value: l => String(l.port), num: true },
  ], rows, { class: 'listeners' });
}
