// A message taken with POST /api/queues/V/Q/get (encoding base64): properties, headers, an x-death
// history table and the body as text, pretty JSON or a hex dump.
import { h, kvTable, table } from './dom.js';
import { fmtNum, fmtTime } from './format.js';

export function decodeBase64(text) {
  const binary = atob(text ?? '');
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The bytes of a got message whatever encoding the broker chose. */
export function payloadBytes(message) {
  return message.payload_encoding === 'base64' ? decodeBase64(message.payload) : new TextEncoder().encode(message.payload ?? '');
}

function asText(bytes) {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), valid: true };
  } catch {
    return { text: new TextDecoder('utf-8').decode(bytes), valid: false };
  }
}

export function hexDump(bytes) {
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map(b => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map(b => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n') || '(empty)';
}

function bodyView(bytes, mode) {
  const { text, valid } = asText(bytes);
  if (mode === 'hex') return h('pre', { class: 'body body-hex' }, hexDump(bytes));
  if (mode === 'json') {
    try {
      return h('pre', { class: 'body body-json' }, JSON.stringify(JSON.parse(text), null, 2));
    } catch (e) {
      return h('div', null, h('p', { class: 'muted' }, `Not JSON (${e.message}); shown as text.`), h('pre', { class: 'body body-text' }, text));
    }
  }
  return h('div', null, valid ? null : h('p', { class: 'muted' }, 'Not valid UTF-8: undecodable bytes shown as �; see Hex.'), h('pre', { class: 'body body-text' }, text || '(empty)'));
}

function defaultMode(bytes, contentType) {
  const { text, valid } = asText(bytes);
  if (!valid) return 'hex';
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try { JSON.parse(text); return 'json'; } catch { /* not JSON after all */ }
  }
  return 'text';
}

/** x-death entries as a table: newest first, as the broker keeps them. */
export function deathTable(deaths) {
  return table([
    { title: 'Queue', value: d => d.queue ?? '' },
    { title: 'Reason', value: d => h('span', { class: 'badge badge-warn' }, d.reason ?? '') },
    { title: 'Count', value: d => fmtNum(d.count), num: true },
    { title: 'Exchange', value: d => d.exchange === '' ? '(default)' : d.exchange ?? '' },
    { title: 'Routing keys', value: d => (d['routing-keys'] ?? []).join(', ') },
    { title: 'Time', value: d => fmtTime(d.time) },
    { title: 'Original expiration', value: d => d['original-expiration'] ?? '' },
  ], deaths, { class: 'x-death' });
}

/** One got message as a card. */
export function messageCard(message, index) {
  const bytes = payloadBytes(message);
  const props = { ...(message.properties ?? {}) };
  const headers = props.headers ?? {};
  delete props.headers;
  const deaths = Array.isArray(headers['x-death']) ? headers['x-death'] : null;
  const otherHeaders = { ...headers };
  if (deaths) delete otherHeaders['x-death'];

  let mode = defaultMode(bytes, props.content_type);
  const body = h('div', { class: 'message-payload' });
  const buttons = ['text', 'json', 'hex'].map(m => h('button', { type: 'button', dataset: { mode: m }, onclick: () => show(m) }, m === 'json' ? 'JSON' : m === 'hex' ? 'Hex' : 'Text'));
  function show(m) {
    mode = m;
    buttons.forEach(b => b.classList.toggle('active', b.dataset.mode === m));
    body.replaceChildren(bodyView(bytes, m));
  }
  show(mode);

  return h('div', { class: 'message', dataset: { index } },
    h('div', { class: 'message-head' },
      h('b', null, `Message ${index + 1}`),
      h('span', { class: 'muted' }, 'exchange ', h('code', null, message.exchange === '' ? '(default)' : message.exchange)),
      h('span', { class: 'muted' }, 'routing key ', h('code', null, message.routing_key)),
      message.redelivered ? h('span', { class: 'badge badge-warn' }, 'redelivered') : null,
      deaths ? h('span', { class: 'badge badge-bad' }, 'dead-lettered') : null,
      h('span', { class: 'grow' }),
      h('span', { class: 'muted' }, `${fmtNum(message.payload_bytes ?? bytes.length)} bytes · ${fmtNum(message.message_count)} left in queue`)),
    h('div', { class: 'message-body' },
      h('div', { class: 'message-meta' },
        h('div', null, h('h3', null, 'Properties'), kvTable(props, { empty: 'No properties' })),
        h('div', null, h('h3', null, 'Headers'), kvTable(otherHeaders, { empty: 'No headers' }))),
      deaths ? h('div', { class: 'dead-letter' }, h('h3', null, 'Dead-letter history (x-death)'), deathTable(deaths)) : null,
      h('div', { class: 'payload-head' }, h('h3', null, 'Payload'), h('div', { class: 'seg' }, buttons)),
      body));
}
