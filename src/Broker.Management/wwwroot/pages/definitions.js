// Definitions: export (download a JSON file, all vhosts or one) and import (upload one) through
// /api/definitions and /api/definitions/VHOST, the files RabbitMQ's UI reads and writes.
import { h, section, button, field, select, busy, link } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { adminNav } from './admin.js';

const vhostOptions = ctx => [['', 'All virtual hosts'], ...ctx.vhosts.map(v => [v, v])];

export async function render(root, params, ctx) {
  const exportVhost = select(vhostOptions(ctx), ctx.vhost, { id: 'export-vhost' });
  const download = button('Download definitions', null, { kind: 'primary', id: 'export-definitions', type: 'submit' });
  const exportForm = h('form', { class: 'form', onsubmit: e => {
    e.preventDefault();
    busy(download, async () => {
      const vhost = exportVhost.value;
      const definitions = await ctx.api.get(vhost ? apiPath`/definitions/${vhost}` : '/definitions');
      const node = (ctx.overview?.node ?? 'broker').replace(/[^A-Za-z0-9_.-]+/g, '_');
      const day = new Date().toISOString().slice(0, 10);
      const file = vhost ? `${node}_${vhost.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'default'}_${day}.json` : `${node}_${day}.json`;
      const url = URL.createObjectURL(new Blob([JSON.stringify(definitions, null, 2)], { type: 'application/json' }));
      const a = h('a', { href: url, download: file });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      ctx.toast(`Exported ${file}`);
    });
  } },
    field('Virtual host', exportVhost, 'one vhost exports without users, vhosts and permissions, as RabbitMQ does'),
    h('div', { class: 'form-actions' }, download));

  const file = h('input', { type: 'file', id: 'import-file', accept: '.json,application/json', required: true });
  const importVhost = select(vhostOptions(ctx), '', { id: 'import-vhost' });
  const upload = button('Upload definitions', null, { kind: 'primary', id: 'import-definitions', type: 'submit' });
  const status = h('p', { class: 'muted', id: 'import-status' });
  const importForm = h('form', { class: 'form', onsubmit: e => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    busy(upload, async () => {
      let definitions;
      try {
        definitions = JSON.parse(await chosen.text());
      } catch (err) {
        ctx.showError(`${chosen.name} is not JSON: ${err.message}`);
        return;
      }
      const vhost = importVhost.value;
      await ctx.api.post(vhost ? apiPath`/definitions/${vhost}` : '/definitions', definitions);
      status.textContent = `Imported ${chosen.name}${vhost ? ` into ${vhost}` : ''}.`;
      ctx.toast('Definitions imported');
    });
  } },
    field('Definitions file', file),
    field('Into virtual host', importVhost, 'all: the vhosts named in the file; one: every object goes into that vhost'),
    h('div', { class: 'form-actions' }, upload),
    status);

  root.append(
    h('div', { class: 'page-title' }, h('h1', null, 'Definitions'), h('span', { class: 'muted' }, 'users, vhosts, permissions, policies, queues, exchanges and bindings as JSON')),
    adminNav('definitions'),
    h('div', { class: 'grid-2' },
      section('Export', exportForm),
      section('Import', importForm)),
    h('p', { class: 'muted' }, 'The same files as RabbitMQ\'s ', h('code', null, 'rabbitmqctl export_definitions'), '; import merges into what exists. See also ', link(['admin', 'vhosts'], 'virtual hosts'), '.'));
}
