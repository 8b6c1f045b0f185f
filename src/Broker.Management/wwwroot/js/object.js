// Loading the one object a detail page shows (a queue, an exchange): a 404 is a page saying so with a
// way back to its list, not an error toast.
import { h, link } from './dom.js';

/** The object at path, or null once a "not found" panel is shown in root (kind: 'queue', 'exchange'). */
export async function loadOrShowMissing(root, ctx, path, kind, name, vhost) {
  try {
    return await ctx.api.get(path, { quiet: true });
  } catch (e) {
    if (e.status !== 404) throw e;
    const title = kind[0].toUpperCase() + kind.slice(1);
    root.append(h('div', { class: 'panel' }, h('h1', null, `${title} not found`),
      h('p', null, `There is no ${kind} "${name}" in virtual host "${vhost}". `, link(`${kind}s`, `Back to ${kind}s`))));
    return null;
  }
}
