// Number, rate, size and time formats shared by every page. Missing values show as an em dash.

const dash = '—';

export function fmtNum(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return dash;
  return Number(n).toLocaleString('en-US');
}

/** A per-second rate: one decimal below 100, none above ("0.0/s", "12.5/s", "1,234/s"). */
export function fmtRate(rate) {
  if (rate === undefined || rate === null || Number.isNaN(rate)) return dash;
  const r = Number(rate);
  const digits = Math.abs(r) < 100 ? 1 : 0;
  return r.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + '/s';
}

/** The rate in a RabbitMQ "*_details" object, e.g. rateOf(q.message_stats, 'publish'). */
export function rateOf(stats, name) {
  return stats?.[`${name}_details`]?.rate;
}

export function fmtBytes(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}

/** A time given as epoch milliseconds, epoch seconds (AMQP timestamps) or an ISO string. */
export function fmtTime(t) {
  if (t === undefined || t === null || t === '') return dash;
  let date;
  if (typeof t === 'number') date = new Date(t < 1e11 ? t * 1000 : t);
  else date = new Date(t);
  if (Number.isNaN(date.getTime())) return String(t);
  const pad = v => String(v).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A duration in seconds as "3d 4h", "5m 10s", "42s". */
export function fmtDuration(seconds) {
  if (seconds === undefined || seconds === null) return dash;
  let s = Math.floor(Number(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function fmtBool(b) {
  return b === undefined || b === null ? dash : b ? 'yes' : 'no';
}

/** "/" shows as the default vhost's usual label. */
export function fmtVhost(v) {
  return v;
}
