// Short badges for a queue's or exchange's flags and arguments (D = durable, AD = auto-delete, ...),
// each with the full name and value as its tooltip, as RabbitMQ's "Features" column.
import { h } from './dom.js';

const short = {
  'x-message-ttl': 'TTL',
  'x-expires': 'Exp',
  'x-max-length': 'Lim',
  'x-max-length-bytes': 'Lim B',
  'x-overflow': 'Ovfl',
  'x-dead-letter-exchange': 'DLX',
  'x-dead-letter-routing-key': 'DLK',
  'x-max-priority': 'Pri',
  'x-queue-mode': 'Mode',
  'x-single-active-consumer': 'SAC',
  'x-queue-type': null, // shown in the type column
  'alternate-exchange': 'AE',
};

export function features(item) {
  const out = [];
  if (item.durable) out.push(h('span', { class: 'badge', title: 'durable: true' }, 'D'));
  if (item.auto_delete) out.push(h('span', { class: 'badge', title: 'auto_delete: true' }, 'AD'));
  if (item.exclusive) out.push(h('span', { class: 'badge badge-warn', title: 'exclusive: true' }, 'Excl'));
  if (item.internal) out.push(h('span', { class: 'badge', title: 'internal: true' }, 'I'));
  for (const [key, value] of Object.entries(item.arguments ?? {})) {
    const label = key in short ? short[key] : 'Args';
    if (label === null) continue;
    out.push(h('span', { class: 'badge badge-info', title: `${key}: ${JSON.stringify(value)}` }, label));
  }
  return out;
}
