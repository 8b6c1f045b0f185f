// The page-wide error banner and short-lived notices ("Queue purged").
import { h } from './dom.js';

function area() {
  let el = document.getElementById('notices');
  if (!el) {
    el = h('div', { id: 'notices', role: 'status' });
    document.body.append(el);
  }
  return el;
}

/** Shows an error until the user closes it (the same message is shown once). */
export function showError(message) {
  const notices = area();
  for (const existing of notices.querySelectorAll('.notice.error .text')) {
    if (existing.textContent === message) return;
  }
  const notice = h('div', { class: 'notice error' },
    h('span', { class: 'text' }, message),
    h('button', { class: 'close', title: 'Dismiss', onclick: () => notice.remove() }, '×'));
  notices.append(notice);
}

/** Shows a success notice for a few seconds. */
export function toast(message) {
  const notice = h('div', { class: 'notice ok' }, h('span', { class: 'text' }, message));
  area().append(notice);
  setTimeout(() => notice.remove(), 4000);
}

export function clearErrors() {
  document.querySelectorAll('#notices .notice.error').forEach(n => n.remove());
}
