// Small DOM helpers: element creation, tables with sortable headers, forms, key/value lists.
// Text is always set as text (never innerHTML), so names from the broker cannot inject markup.
import { fmtNum } from './format.js';

/**
 * h('div', {class: 'x', onclick: fn, title: 't'}, child, [children], null): an element.
 * Props: class, text, dataset (object), on* (event listeners), value/checked/disabled/selected (properties),
 * anything else becomes an attribute (false/null/undefined ones are left out).
 */
export function h(tag, props, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (!svg && (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces el's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link to a UI route: link(['queues', vhost, name], name) gives href "#/queues/%2F/name". */
export function link(route, text, props = {}) {
  return h('a', { ...props, href: hashOf(route) }, text);
}

/** The hash for a route given as an array of segments (each percent-encoded) or a string. */
export function hashOf(route) {
  if (typeof route === 'string') return '#/' + route.replace(/^#?\//, '');
  return '#/' + route.map(s => encodeURIComponent(String(s))).join('/');
}

/** A titled panel: section('Consumers', content...). props.actions: nodes shown at the right of the title. */
export function section(title, ...children) {
  let props = {};
  if (children.length && children[0] && children[0].constructor === Object) props = children.shift();
  return h('section', { class: ['panel', props.class], id: props.id },
    h('header', { class: 'panel-head' }, h('h2', null, title), props.actions ? h('div', { class: 'panel-actions' }, props.actions) : null),
    h('div', { class: 'panel-body' }, children));
}

export function button(label, onclick, props = {}) {
  const { kind, ...rest } = props;
  return h('button', { type: 'button', class: ['btn', kind && `btn-${kind}`], onclick, ...rest }, label);
}

/**
 * A table. columns: [{title, value: row => node|string, sort: 'api_sort_key', num: true, class, tip}].
 * options: sort {key, reverse} and onSort(key) (headers with a sort key become clickable),
 * empty (text when there are no rows), rowClass(row), class.
 */
export function table(columns, rows, options = {}) {
  const head = h('tr', null, columns.map(col => {
    const sorted = options.sort && col.sort && options.sort.key === col.sort;
    const th = h('th', {
      class: [col.num && 'num', col.sort && options.onSort && 'sortable', sorted && (options.sort.reverse ? 'sorted-desc' : 'sorted-asc')],
      title: col.tip,
      dataset: col.sort ? { sort: col.sort } : undefined,
    }, col.title);
    if (col.sort && options.onSort) th.addEventListener('click', () => options.onSort(col.sort));
    return th;
  }));
  const body = rows.length
    ? rows.map(row => h('tr', { class: options.rowClass?.(row) }, columns.map(col =>
        h('td', { class: [col.num && 'num', col.class] }, col.value(row)))))
    : [h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, options.empty ?? 'Nothing here'))];
  return h('table', { class: ['grid', options.class] }, h('thead', null, head), h('tbody', null, body));
}

/** A two-column table of an object's keys and values; values that are objects are shown as JSON. */
export function kvTable(obj, options = {}) {
  const entries = Object.entries(obj ?? {});
  if (!entries.length) return h('div', { class: 'muted' }, options.empty ?? 'None');
  return h('table', { class: 'kv' }, h('tbody', null, entries.map(([k, v]) =>
    h('tr', null, h('th', null, k), h('td', null, v instanceof Node ? v : typeof v === 'object' && v !== null ? h('code', null, JSON.stringify(v)) : v === '' ? h('span', { class: 'muted' }, '(empty)') : String(v))))));
}

/** A labelled form row. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

export function input(props = {}) {
  return h('input', { type: 'text', ...props });
}

/** A <select>; options as values or [value, label] pairs. */
export function select(options, value, props = {}) {
  return h('select', props, options.map(o => {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, label);
  }));
}

/**
 * Editable key/value/type rows for queue arguments and message headers. Returns {el, value()}: value()
 * is an object of the filled rows with numbers and booleans converted by their type column.
 */
export function argsEditor(initialRows = 1, types = ['string', 'number', 'boolean']) {
  const rows = h('div', { class: 'args-rows' });
  const addRow = () => {
    const row = h('div', { class: 'args-row' },
      input({ class: 'arg-key', placeholder: 'key' }), h('span', null, '='),
      input({ class: 'arg-value', placeholder: 'value' }),
      select(types, types[0], { class: 'arg-type' }));
    rows.append(row);
    row.querySelector('.arg-value').addEventListener('input', () => {
      if (rows.lastChild === row) addRow();
    });
  };
  for (let i = 0; i < initialRows; i++) addRow();
  return {
    el: rows,
    value() {
      const out = {};
      for (const row of rows.children) {
        const key = row.querySelector('.arg-key').value.trim();
        if (!key) continue;
        const raw = row.querySelector('.arg-value').value;
        const type = row.querySelector('.arg-type').value;
        out[key] = type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' : raw;
      }
      return out;
    },
  };
}

/** Page navigation for paged listings: pager({page, pageCount, total, filtered, onPage}); pass filtered only while a filter is set. */
export function pager({ page, pageCount, total, filtered, onPage }) {
  const go = p => () => onPage(Math.min(Math.max(1, p), pageCount || 1));
  return h('div', { class: 'pager' },
    button('«', go(1), { disabled: page <= 1, title: 'First page' }),
    button('‹', go(page - 1), { disabled: page <= 1, title: 'Previous page' }),
    h('span', { class: 'pager-text' }, `Page ${page} of ${Math.max(pageCount, 1)}`),
    button('›', go(page + 1), { disabled: page >= pageCount, title: 'Next page' }),
    button('»', go(pageCount), { disabled: page >= pageCount, title: 'Last page' }),
    h('span', { class: 'muted pager-count' }, filtered !== undefined ? `${fmtNum(filtered)} of ${fmtNum(total)} match` : `${fmtNum(total ?? 0)} total`));
}

/** A small coloured label, e.g. badge('idle'), badge('alarm', 'bad'). */
export function badge(text, kind) {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

/** Submits a form's action with the button disabled until it settles; errors are shown by the api helper. */
export async function busy(buttonEl, action) {
  buttonEl.disabled = true;
  try {
    return await action();
  } catch (e) {
    // API errors are already in the banner; anything else is a bug and must surface.
    if (e?.status === undefined) throw e;
    return undefined;
  } finally {
    buttonEl.disabled = false;
  }
}
