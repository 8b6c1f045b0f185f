// Admin: users (add, tags, password, delete), virtual hosts (add, delete, tracing), permissions and
// topic permissions, policies and operator policies, vhost and user limits. Routes: #/admin/users,
// #/admin/users/NAME, #/admin/vhosts, #/admin/vhosts/NAME, #/admin/policies, #/admin/limits.
import { h, section, table, link, button, field, input, select, argsEditor, badge, busy, kvTable, mount } from '../js/dom.js';
import { apiPath } from '../js/api.js';
import { fmtNum } from '../js/format.js';

const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];
const VHOST_LIMITS = ['max-connections', 'max-queues'];
const USER_LIMITS = ['max-connections', 'max-channels'];

/** The admin sub-navigation (also shown on the definitions page). */
export function adminNav(active) {
  const items = [['users', 'Users'], ['vhosts', 'Virtual hosts'], ['policies', 'Policies'], ['limits', 'Limits'], ['definitions', 'Definitions']];
  return h('nav', { class: 'subnav' }, items.map(([key, label]) =>
    link(key === 'definitions' ? 'definitions' : ['admin', key], label, { class: key === active ? 'active' : undefined, dataset: { sub: key } })));
}

const tagsOf = user => Array.isArray(user.tags) ? user.tags : String(user.tags ?? '').split(',').map(t => t.trim()).filter(Boolean);
const tagBadges = tags => tags.length ? tags.map(t => badge(t, t === 'administrator' ? 'warn' : 'info')) : h('span', { class: 'muted' }, 'no tags');
const code = v => h('code', null, v === '' ? '""' : v);

/** A form whose submit runs action with its submit button disabled. */
function form(id, children, submitLabel, action, props = {}) {
  const submit = button(submitLabel, null, { kind: 'primary', type: 'submit', id: `${id}-submit` });
  return h('form', { class: ['form', props.class], id, onsubmit: e => { e.preventDefault(); busy(submit, action); } },
    children, h('div', { class: 'form-actions' }, submit, props.extra));
}

/** A small danger button that asks first. */
function removeButton(what, action, props = {}) {
  const { label, ...rest } = props;
  const b = button(label ?? 'Delete', () => { if (confirm(`Delete ${what}?`)) busy(b, action); }, { kind: 'danger', class: 'btn btn-danger btn-small', ...rest });
  return b;
}

/** Fills an argsEditor with an object's entries (strings, numbers, booleans). */
function fillArgs(editor, values) {
  for (const [key, value] of Object.entries(values ?? {})) {
    const row = editor.el.lastChild;
    row.querySelector('.arg-key').value = key;
    row.querySelector('.arg-type').value = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
    const valueInput = row.querySelector('.arg-value');
    valueInput.value = typeof value === 'object' ? JSON.stringify(value) : String(value);
    valueInput.dispatchEvent(new Event('input'));
  }
}

export async function render(root, params, ctx) {
  const [area, name] = params.rest ?? [];
  switch (area ?? 'users') {
    case 'users': return name !== undefined ? userPage(root, name, ctx) : usersPage(root, ctx);
    case 'vhosts': return name !== undefined ? vhostPage(root, name, ctx) : vhostsPage(root, ctx);
    case 'policies': return policiesPage(root, ctx);
    case 'limits': return limitsPage(root, ctx);
    default: mount(root, h('div', { class: 'panel' }, h('h1', null, 'Not found')));
  }
}

function title(text, active, ...extra) {
  return [h('div', { class: 'page-title' }, h('h1', null, text), ...extra), adminNav(active)];
}

// ---------------------------------------------------------------- users

function tagPicker(tags) {
  return h('span', { class: 'tag-picker' }, KNOWN_TAGS.map(tag => button(tag, () => {
    const current = tags.value.split(',').map(t => t.trim()).filter(Boolean);
    if (!current.includes(tag)) tags.value = [...current, tag].join(', ');
    tags.dispatchEvent(new Event('input'));
  }, { class: 'btn btn-small', title: `Add the ${tag} tag` })));
}

async function usersPage(root, ctx) {
  const list = h('div', { id: 'users' });
  const name = input({ id: 'user-name', required: true, autocomplete: 'off' });
  const password = input({ id: 'user-password', type: 'password', autocomplete: 'new-password' });
  const tags = input({ id: 'user-tags', placeholder: 'comma separated' });
  root.append(...title('Users', 'users'),
    section('All users', list),
    section('Add a user', form('add-user', [
      field('Username', name),
      field('Password', password, 'empty: the user cannot log in with a password'),
      field('Tags', h('div', { class: 'tag-field' }, tags, tagPicker(tags))),
    ], 'Add user', async () => {
      await ctx.api.put(apiPath`/users/${name.value}`, { password: password.value, tags: tags.value });
      ctx.toast(`User ${name.value} added`);
      name.value = password.value = tags.value = '';
      poller.now();
    })));

  const poller = ctx.poll(async () => {
    const [users, permissions] = await Promise.all([ctx.api.get('/users'), ctx.api.get('/permissions')]);
    if (!ctx.current()) return;
    const vhostsOf = {};
    for (const p of permissions) (vhostsOf[p.user] ??= []).push(p.vhost);
    list.replaceChildren(table([
      { title: 'Name', value: u => link(['admin', 'users', u.name], u.name, { class: 'user-link' }) },
      { title: 'Tags', value: u => tagBadges(tagsOf(u)) },
      { title: 'Can access virtual hosts', value: u => (vhostsOf[u.name] ?? []).sort().join(', ') || h('span', { class: 'muted' }, 'none'), class: 'wrap' },
      { title: 'Has password', value: u => u.password_hash ? 'yes' : 'no' },
    ], users.sort((a, b) => a.name.localeCompare(b.name)), { empty: 'No users', class: 'users' }));
  }, 0);
}

async function userPage(root, name, ctx) {
  const details = h('div');
  const tags = input({ id: 'edit-tags' });
  let tagsTyped = false;
  tags.addEventListener('input', () => { tagsTyped = true; });
  const password = input({ id: 'new-password', type: 'password', autocomplete: 'new-password' });
  const permissions = h('div', { id: 'user-permissions' });
  const topic = h('div', { id: 'user-topic-permissions' });
  const limits = h('div', { id: 'user-limits' });
  let user = null;

  const deleteUser = removeButton(`user ${name}`, async () => {
    await ctx.api.delete(apiPath`/users/${name}`);
    ctx.toast(`User ${name} deleted`);
    ctx.navigate(['admin', 'users']);
  }, { id: 'delete-user', label: 'Delete user', class: 'btn btn-danger' });

  root.append(...title(`User ${name}`, 'users', deleteUser),
    h('div', { class: 'grid-2 spaced' },
      section('Details', details),
      h('div', { class: 'stack' },
        section('Tags', form('edit-user-tags', [field('Tags', h('div', { class: 'tag-field' }, tags, tagPicker(tags)))], 'Update tags', async () => {
          // Keeps the password: the stored hash goes back with the new tags (read now: the page's
          // first load may not have arrived when the form is sent).
          const stored = await ctx.api.get(apiPath`/users/${name}`);
          await ctx.api.put(apiPath`/users/${name}`, { password_hash: stored.password_hash, hashing_algorithm: stored.hashing_algorithm, tags: tags.value });
          ctx.toast('Tags updated');
          poller.now();
        })),
        section('Password', form('change-password', [field('New password', password, 'empty: no password login')], 'Change password', async () => {
          const stored = await ctx.api.get(apiPath`/users/${name}`);
          await ctx.api.put(apiPath`/users/${name}`, { password: password.value, tags: tagsOf(stored).join(',') });
          password.value = '';
          ctx.toast('Password changed');
        })))),
    section('Permissions', permissions, permissionForm(ctx, { user: name }, () => poller.now())),
    section('Topic permissions', topic, topicPermissionForm(ctx, { user: name }, () => poller.now())),
    section('User limits', limits, limitForm(ctx, 'user', name, () => poller.now())));

  const poller = ctx.poll(async () => {
    const [u, perms, topicPerms, userLimits] = await Promise.all([
      ctx.api.get(apiPath`/users/${name}`),
      ctx.api.get(apiPath`/users/${name}/permissions`),
      ctx.api.get(apiPath`/users/${name}/topic-permissions`),
      ctx.api.get(apiPath`/user-limits/${name}`),
    ]);
    if (!ctx.current()) return;
    const first = user === null;
    user = u;
    // The first load fills the tags in, unless they were typed before it arrived.
    if (first && !tagsTyped) tags.value = tagsOf(u).join(', ');
    details.replaceChildren(kvTable({ Name: u.name, Tags: h('span', null, tagBadges(tagsOf(u))), 'Has password': u.password_hash ? 'yes' : 'no', 'Hashing algorithm': u.hashing_algorithm }));
    permissions.replaceChildren(permissionTable(ctx, perms, 'vhost', () => poller.now()));
    topic.replaceChildren(topicPermissionTable(ctx, topicPerms, 'vhost', () => poller.now()));
    limits.replaceChildren(limitTable(ctx, 'user', name, userLimits[0]?.value ?? {}, () => poller.now()));
  }, 0);
}

// ---------------------------------------------------------------- permissions (shared by the user and vhost pages)

function permissionTable(ctx, rows, show, changed) {
  return table([
    show === 'vhost'
      ? { title: 'Virtual host', value: p => link(['admin', 'vhosts', p.vhost], p.vhost) }
      : { title: 'User', value: p => link(['admin', 'users', p.user], p.user) },
    { title: 'Configure', value: p => code(p.configure) },
    { title: 'Write', value: p => code(p.write) },
    { title: 'Read', value: p => code(p.read) },
    { title: '', value: p => removeButton(`the permissions of ${p.user} in ${p.vhost}`, async () => {
      await ctx.api.delete(apiPath`/permissions/${p.vhost}/${p.user}`);
      changed();
    }, { label: 'Clear', class: 'btn btn-danger btn-small clear-permission' }) },
  ], rows, { empty: 'No permissions', class: 'permissions' });
}

/** Set permissions: fixed is {user} on a user's page or {vhost} on a vhost's page. */
function permissionForm(ctx, fixed, changed) {
  const who = fixed.user ? select(ctx.vhosts, ctx.vhost || ctx.vhosts[0], { id: 'permission-vhost' }) : input({ id: 'permission-user', required: true, list: 'user-names' });
  const configure = input({ id: 'permission-configure', value: '.*', class: 'mono' });
  const write = input({ id: 'permission-write', value: '.*', class: 'mono' });
  const read = input({ id: 'permission-read', value: '.*', class: 'mono' });
  return form('set-permission', [
    h('div', { class: 'form-row' },
      field(fixed.user ? 'Virtual host' : 'User', who), field('Configure regexp', configure), field('Write regexp', write), field('Read regexp', read)),
  ], 'Set permission', async () => {
    const vhost = fixed.vhost ?? who.value;
    const user = fixed.user ?? who.value;
    await ctx.api.put(apiPath`/permissions/${vhost}/${user}`, { configure: configure.value, write: write.value, read: read.value });
    ctx.toast(`Permissions of ${user} in ${vhost} set`);
    changed();
  }, { class: 'inline-form' });
}

function topicPermissionTable(ctx, rows, show, changed) {
  return table([
    show === 'vhost'
      ? { title: 'Virtual host', value: p => link(['admin', 'vhosts', p.vhost], p.vhost) }
      : { title: 'User', value: p => link(['admin', 'users', p.user], p.user) },
    { title: 'Exchange', value: p => p.exchange },
    { title: 'Write', value: p => code(p.write) },
    { title: 'Read', value: p => code(p.read) },
    { title: '', value: p => removeButton(`the topic permissions of ${p.user} in ${p.vhost}`, async () => {
      await ctx.api.delete(apiPath`/topic-permissions/${p.vhost}/${p.user}`);
      changed();
    }, { label: 'Clear', class: 'btn btn-danger btn-small' }) },
  ], rows, { empty: 'No topic permissions', class: 'topic-permissions' });
}

function topicPermissionForm(ctx, fixed, changed) {
  const who = fixed.user ? select(ctx.vhosts, ctx.vhost || ctx.vhosts[0], { id: 'topic-vhost' }) : input({ id: 'topic-user', required: true, list: 'user-names' });
  const exchange = input({ id: 'topic-exchange', value: 'amq.topic' });
  const write = input({ id: 'topic-write', value: '.*', class: 'mono' });
  const read = input({ id: 'topic-read', value: '.*', class: 'mono' });
  return form('set-topic-permission', [
    h('div', { class: 'form-row' },
      field(fixed.user ? 'Virtual host' : 'User', who), field('Exchange', exchange), field('Write regexp', write), field('Read regexp', read)),
  ], 'Set topic permission', async () => {
    const vhost = fixed.vhost ?? who.value;
    const user = fixed.user ?? who.value;
    await ctx.api.put(apiPath`/topic-permissions/${vhost}/${user}`, { exchange: exchange.value, write: write.value, read: read.value });
    ctx.toast(`Topic permissions of ${user} in ${vhost} set`);
    changed();
  }, { class: 'inline-form' });
}

// ---------------------------------------------------------------- limits (vhost and user)

function limitTable(ctx, kind, owner, values, changed) {
  const rows = Object.entries(values).map(([limit, value]) => ({ owner, limit, value }));
  return table([
    { title: 'Limit', value: r => r.limit },
    { title: 'Value', value: r => fmtNum(r.value), num: true },
    { title: '', value: r => removeButton(`the ${r.limit} limit of ${owner}`, async () => {
      await ctx.api.delete(kind === 'vhost' ? apiPath`/vhost-limits/${owner}/${r.limit}` : apiPath`/user-limits/${owner}/${r.limit}`);
      changed();
    }, { label: 'Remove', class: 'btn btn-danger btn-small' }) },
  ], rows, { empty: 'No limits', class: `${kind}-limits` });
}

function limitForm(ctx, kind, owner, changed) {
  const limit = select(kind === 'vhost' ? VHOST_LIMITS : USER_LIMITS, undefined, { id: `${kind}-limit-name` });
  const value = input({ id: `${kind}-limit-value`, type: 'number', required: true, min: -1, step: 1 });
  const ownerInput = owner === null
    ? (kind === 'vhost' ? select(ctx.vhosts, ctx.vhost || ctx.vhosts[0], { id: 'vhost-limit-owner' }) : input({ id: 'user-limit-owner', required: true, list: 'user-names' }))
    : null;
  return form(`set-${kind}-limit`, [
    h('div', { class: 'form-row' },
      ownerInput ? field(kind === 'vhost' ? 'Virtual host' : 'User', ownerInput) : null,
      field('Limit', limit), field('Value', value, '-1: no limit')),
  ], 'Set limit', async () => {
    const who = owner ?? ownerInput.value;
    const path = kind === 'vhost' ? apiPath`/vhost-limits/${who}/${limit.value}` : apiPath`/user-limits/${who}/${limit.value}`;
    await ctx.api.put(path, { value: Number(value.value) });
    ctx.toast(`${limit.value} of ${who} set to ${value.value}`);
    changed();
  }, { class: 'inline-form' });
}

async function limitsPage(root, ctx) {
  const vhostLimits = h('div', { id: 'all-vhost-limits' });
  const userLimits = h('div', { id: 'all-user-limits' });
  const users = h('datalist', { id: 'user-names' });
  root.append(...title('Limits', 'limits'), users,
    section('Virtual host limits', vhostLimits, limitForm(ctx, 'vhost', null, () => poller.now())),
    section('User limits', userLimits, limitForm(ctx, 'user', null, () => poller.now())));

  const flatten = (rows, ownerKey) => rows.flatMap(r => Object.entries(r.value ?? {}).map(([limit, value]) => ({ owner: r[ownerKey], limit, value })));
  const columns = (kind, ownerTitle) => [
    { title: ownerTitle, value: r => link(['admin', kind === 'vhost' ? 'vhosts' : 'users', r.owner], r.owner) },
    { title: 'Limit', value: r => r.limit },
    { title: 'Value', value: r => fmtNum(r.value), num: true },
    { title: '', value: r => removeButton(`the ${r.limit} limit of ${r.owner}`, async () => {
      await ctx.api.delete(kind === 'vhost' ? apiPath`/vhost-limits/${r.owner}/${r.limit}` : apiPath`/user-limits/${r.owner}/${r.limit}`);
      poller.now();
    }, { label: 'Remove', class: 'btn btn-danger btn-small' }) },
  ];
  const poller = ctx.poll(async () => {
    const [v, u, userList] = await Promise.all([ctx.api.get('/vhost-limits'), ctx.api.get('/user-limits'), ctx.api.get('/users')]);
    if (!ctx.current()) return;
    users.replaceChildren(...userList.map(x => h('option', { value: x.name })));
    vhostLimits.replaceChildren(table(columns('vhost', 'Virtual host'), flatten(v, 'vhost'), { empty: 'No virtual host limits', class: 'vhost-limits' }));
    userLimits.replaceChildren(table(columns('user', 'User'), flatten(u, 'user'), { empty: 'No user limits', class: 'user-limits' }));
  }, 0);
}

// ---------------------------------------------------------------- virtual hosts

async function vhostsPage(root, ctx) {
  const list = h('div', { id: 'vhosts' });
  const name = input({ id: 'vhost-name', required: true, autocomplete: 'off' });
  const description = input({ id: 'vhost-description' });
  const tracing = h('input', { type: 'checkbox', id: 'vhost-tracing' });
  root.append(...title('Virtual hosts', 'vhosts'),
    section('All virtual hosts', list),
    section('Add a virtual host', form('add-vhost', [
      h('div', { class: 'form-row' }, field('Name', name), field('Description', description), field('Tracing', tracing)),
    ], 'Add virtual host', async () => {
      await ctx.api.put(apiPath`/vhosts/${name.value}`, { description: description.value, tracing: tracing.checked });
      ctx.toast(`Virtual host ${name.value} added`);
      await ctx.refreshVhosts();
      name.value = description.value = '';
      tracing.checked = false;
      poller.now();
    })));

  const poller = ctx.poll(async () => {
    const vhosts = await ctx.api.get('/vhosts');
    if (!ctx.current()) return;
    list.replaceChildren(table([
      { title: 'Name', value: v => link(['admin', 'vhosts', v.name], v.name, { class: 'vhost-link' }) },
      { title: 'Description', value: v => v.description || h('span', { class: 'muted' }, '—'), class: 'wrap' },
      { title: 'Tracing', value: v => v.tracing ? badge('on', 'warn') : badge('off') },
      { title: 'Messages', value: v => fmtNum(v.messages ?? 0), num: true },
      { title: 'Ready', value: v => fmtNum(v.messages_ready ?? 0), num: true },
      { title: 'Unacked', value: v => fmtNum(v.messages_unacknowledged ?? 0), num: true },
    ], vhosts.sort((a, b) => a.name.localeCompare(b.name)), { empty: 'No virtual hosts', class: 'vhosts' }));
  });
}

async function vhostPage(root, name, ctx) {
  const details = h('div');
  const tracingBox = h('div');
  const permissions = h('div', { id: 'vhost-permissions' });
  const topic = h('div', { id: 'vhost-topic-permissions' });
  const limits = h('div', { id: 'vhost-limits' });
  const users = h('datalist', { id: 'user-names' });
  const deleteVhost = removeButton(`virtual host ${name} and everything in it`, async () => {
    await ctx.api.delete(apiPath`/vhosts/${name}`);
    await ctx.refreshVhosts();
    ctx.toast(`Virtual host ${name} deleted`);
    ctx.navigate(['admin', 'vhosts']);
  }, { id: 'delete-vhost', label: 'Delete virtual host', class: 'btn btn-danger' });

  root.append(...title(`Virtual host ${name}`, 'vhosts', deleteVhost), users,
    h('div', { class: 'grid-2 spaced' }, section('Details', details), section('Tracing', tracingBox)),
    section('Permissions', permissions, permissionForm(ctx, { vhost: name }, () => poller.now())),
    section('Topic permissions', topic, topicPermissionForm(ctx, { vhost: name }, () => poller.now())),
    section('Virtual host limits', limits, limitForm(ctx, 'vhost', name, () => poller.now())));

  const poller = ctx.poll(async () => {
    const [v, perms, topicPerms, vhostLimits, userList] = await Promise.all([
      ctx.api.get(apiPath`/vhosts/${name}`),
      ctx.api.get(apiPath`/vhosts/${name}/permissions`),
      ctx.api.get(apiPath`/vhosts/${name}/topic-permissions`),
      ctx.api.get(apiPath`/vhost-limits/${name}`),
      ctx.api.get('/users'),
    ]);
    if (!ctx.current()) return;
    users.replaceChildren(...userList.map(u => h('option', { value: u.name })));
    details.replaceChildren(kvTable({
      Name: v.name,
      Description: v.description || '—',
      Messages: fmtNum(v.messages ?? 0),
      Ready: fmtNum(v.messages_ready ?? 0),
      Unacked: fmtNum(v.messages_unacknowledged ?? 0),
    }));
    const toggle = button(v.tracing ? 'Turn tracing off' : 'Turn tracing on', () => busy(toggle, async () => {
      await ctx.api.put(apiPath`/vhosts/${name}`, { tracing: !v.tracing, description: v.description ?? '' });
      ctx.toast(`Tracing ${v.tracing ? 'off' : 'on'}`);
      poller.now();
    }), { id: 'toggle-tracing' });
    tracingBox.replaceChildren(
      h('p', null, 'Tracing is ', v.tracing ? badge('on', 'warn') : badge('off'), '. ',
        h('span', { class: 'muted' }, 'When on, every publish and delivery in this vhost is copied to amq.rabbitmq.trace.')),
      toggle);
    permissions.replaceChildren(permissionTable(ctx, perms, 'user', () => poller.now()));
    topic.replaceChildren(topicPermissionTable(ctx, topicPerms, 'user', () => poller.now()));
    limits.replaceChildren(limitTable(ctx, 'vhost', name, vhostLimits[0]?.value ?? {}, () => poller.now()));
  }, 0);
}

// ---------------------------------------------------------------- policies

async function policiesPage(root, ctx) {
  const policies = h('div', { id: 'policies' });
  const operatorPolicies = h('div', { id: 'operator-policies' });
  const kind = select([['policies', 'Policy'], ['operator-policies', 'Operator policy']], 'policies', { id: 'policy-kind' });
  const vhost = select(ctx.vhosts, ctx.vhost || ctx.vhosts[0], { id: 'policy-vhost' });
  const name = input({ id: 'policy-name', required: true });
  const pattern = input({ id: 'policy-pattern', required: true, class: 'mono', placeholder: '^orders\\.' });
  const applyTo = select([['all', 'Exchanges and queues'], ['exchanges', 'Exchanges'], ['queues', 'Queues']], 'all', { id: 'policy-apply-to' });
  const priority = input({ id: 'policy-priority', type: 'number', value: '0', step: 1 });
  let definition = argsEditor(2);
  const definitionBox = h('div', null, definition.el);
  const policyForm = form('set-policy', [
    h('div', { class: 'form-row' }, field('Kind', kind), field('Virtual host', vhost), field('Name', name), field('Pattern', pattern, 'regular expression on names'),
      field('Apply to', applyTo), field('Priority', priority)),
    field('Definition', definitionBox, 'e.g. max-length = 1000 (number), dead-letter-exchange = dlx (string)'),
  ], 'Save policy', async () => {
    await ctx.api.put(`/${kind.value}/${encodeURIComponent(vhost.value)}/${encodeURIComponent(name.value)}`,
      { pattern: pattern.value, definition: definition.value(), priority: Number(priority.value || 0), 'apply-to': applyTo.value });
    ctx.toast(`${kind.value === 'policies' ? 'Policy' : 'Operator policy'} ${name.value} saved`);
    poller.now();
  });

  const edit = (k, p) => {
    kind.value = k;
    vhost.value = p.vhost;
    name.value = p.name;
    pattern.value = p.pattern;
    applyTo.value = p['apply-to'];
    priority.value = String(p.priority ?? 0);
    definition = argsEditor(1);
    fillArgs(definition, p.definition);
    definitionBox.replaceChildren(definition.el);
    policyForm.scrollIntoView({ behavior: 'smooth' });
  };

  const columns = k => [
    { title: 'Virtual host', value: p => p.vhost },
    { title: 'Name', value: p => h('b', null, p.name) },
    { title: 'Pattern', value: p => code(p.pattern) },
    { title: 'Apply to', value: p => p['apply-to'] },
    { title: 'Definition', value: p => h('span', { class: 'definition' }, Object.entries(p.definition ?? {}).map(([key, value]) => h('div', null, h('span', { class: 'muted' }, `${key}: `), h('code', null, JSON.stringify(value))))), class: 'wrap' },
    { title: 'Priority', value: p => String(p.priority ?? 0), num: true },
    { title: '', value: p => h('span', { class: 'row-actions' },
      button('Edit', () => edit(k, p), { class: 'btn btn-small edit-policy' }),
      removeButton(`policy ${p.name} in ${p.vhost}`, async () => {
        await ctx.api.delete(`/${k}/${encodeURIComponent(p.vhost)}/${encodeURIComponent(p.name)}`);
        poller.now();
      }, { class: 'btn btn-danger btn-small delete-policy' })) },
  ];

  root.append(...title('Policies', 'policies'),
    section('Policies', policies),
    section('Operator policies', h('p', { class: 'muted' }, 'Set by operators; they cap what users\' policies and arguments ask for (the lower value wins).'), operatorPolicies),
    section('Add or update a policy', policyForm));

  const poller = ctx.poll(async () => {
    const scope = ctx.vhost ? `/${encodeURIComponent(ctx.vhost)}` : '';
    const [p, o] = await Promise.all([ctx.api.get(`/policies${scope}`), ctx.api.get(`/operator-policies${scope}`)]);
    if (!ctx.current()) return;
    const byName = (a, b) => a.vhost.localeCompare(b.vhost) || a.name.localeCompare(b.name);
    policies.replaceChildren(table(columns('policies'), p.sort(byName), { empty: 'No policies', class: 'policies' }));
    operatorPolicies.replaceChildren(table(columns('operator-policies'), o.sort(byName), { empty: 'No operator policies', class: 'operator-policies' }));
  }, 0);
}
