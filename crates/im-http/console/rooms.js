// Groups and chatrooms: the list (a page at a time), search by exact id (or a member's
// username), create; one room's page with its details, edit, transfer, mute-all,
// disable/enable (groups), delete, and its tabs (members, admins, mutes, blocks, allowlist,
// announcement, files or attributes, threads).

import { get, post, put, del, p } from './api.js';
import {
  h, clear, act, confirmAction, formDialog, pagedTable, tabs, props, fmtTime, badge, pageHead,
  searchBox, button, toast, names,
} from './ui.js';
import { membersTab, adminsTab, mutesTab, blocksTab, allowlistTab } from './room_parts.js';
import { announcementTab, filesTab, attributesTab, threadsTab } from './room_more.js';

export const KINDS = {
  group: { base: '/chatgroups', route: 'groups', title: 'Groups', one: 'Group', noun: 'group' },
  chatroom: { base: '/chatrooms', route: 'chatrooms', title: 'Chatrooms', one: 'Chatroom', noun: 'chatroom' },
};

/** `org#app_alice` → `alice`. */
export const bareOwner = (o) => String(o || '').replace(/^[^#]*#[^_]*_/, '');
const PAGE = 20;

function createDialog(kind) {
  const k = KINDS[kind];
  const fields = [
    { name: 'name', label: 'Name', required: true },
    { name: 'description', label: 'Description', type: 'textarea', required: true },
    { name: 'owner', label: 'Owner (username)', required: true },
    { name: 'maxusers', label: 'Maximum members', type: 'number', min: 1, value: kind === 'group' ? '200' : '1000' },
    { name: 'members', label: 'Members (usernames, comma or space separated)', hint: 'Optional; the owner is a member already.' },
  ];
  if (kind === 'group') {
    fields.push(
      { name: 'public', label: 'Public (anyone may find it)', type: 'checkbox', value: true },
      { name: 'membersonly', label: 'Joining needs approval', type: 'checkbox' },
      { name: 'allowinvites', label: 'Members may invite', type: 'checkbox' },
    );
  }
  fields.push({ name: 'custom', label: 'Custom data (optional)' });
  return formDialog({
    title: `Create ${k.noun}`,
    submit: 'Create',
    fields,
    onSubmit: async (v) => {
      const body = { description: v.description, owner: v.owner.trim() };
      if (v.maxusers) body.maxusers = Number(v.maxusers);
      const members = names(v.members);
      if (members.length) body.members = members;
      if (v.custom) body.custom = v.custom;
      let id;
      if (kind === 'group') {
        Object.assign(body, { groupname: v.name, public: v.public, membersonly: v.membersonly, allowinvites: v.allowinvites });
        id = (await post('/chatgroups', body)).data.groupid;
      } else {
        body.name = v.name;
        id = (await post('/chatrooms', body)).data.id;
      }
      toast(`${k.one} ${v.name} created.`);
      location.hash = `#/${k.route}/${p(id)}`;
    },
  });
}

export function roomsPage(main, kind) {
  const k = KINDS[kind];
  const list = pagedTable({
    label: k.title,
    empty: `No ${k.noun}s yet.`,
    columns: [
      { label: 'Name', render: (r) => h('a', { href: `#/${k.route}/${p(r.id)}`, text: r.name || '(no name)' }), class: 'wrap' },
      { label: 'ID', render: (r) => h('span', { class: 'mono', text: r.id }) },
      { label: 'Owner', render: (r) => h('a', { href: `#/users/${p(r.owner)}`, text: r.owner }) },
      { label: 'Members', render: (r) => Number(r.members).toLocaleString() },
    ],
    load: async (cursor) => {
      const r = await get(k.base, { limit: PAGE, cursor });
      const rows = (r.data || []).map((x) => (kind === 'group'
        ? { id: x.groupid, name: x.groupname, owner: bareOwner(x.owner), members: x.affiliations }
        : { id: x.id, name: x.name, owner: x.owner, members: x.affiliations_count }));
      return { rows, next: r.cursor || null };
    },
  });
  const notice = h('div', { role: 'alert' });
  const search = searchBox(`Find a ${k.noun} by exact id, or a user's ${k.noun}s by username`,
    `Exact ${k.noun} id or username`, async (text) => {
      clear(notice);
      if (!text) return;
      try {
        if (/^\d+$/.test(text)) {
          await get(`${k.base}/${p(text)}`);
          location.hash = `#/${k.route}/${p(text)}`;
        } else {
          const u = await get(`/users/${p(text)}`);
          location.hash = `#/users/${p(u.entities[0].username)}/${k.route}`;
        }
      } catch (e) {
        if (e.status !== 401) clear(notice, h('div', { class: 'notice error', text: e.message }));
      }
    });
  main.append(
    pageHead(k.title, { actions: [button(`Create ${k.noun}`, () => createDialog(kind), 'primary')] }),
    h('div', { class: 'toolbar' }, search),
    notice,
    list.node,
  );
}

const LABELS = {
  id: 'ID', name: 'Name', description: 'Description', owner: 'Owner', maxusers: 'Maximum members',
  affiliations_count: 'Members', created: 'Created', custom: 'Custom data', public: 'Public',
  membersonly: 'Joining needs approval', allowinvites: 'Members may invite', mute: 'Mute-all',
  disabled: 'Disabled', invite_need_confirm: 'Invitees must confirm',
};

function detailRows(d) {
  return Object.entries(d).filter(([key]) => key !== 'affiliations').map(([key, v]) => {
    let shown = v;
    if (typeof v === 'boolean') shown = v ? 'Yes' : 'No';
    if (key === 'created') shown = fmtTime(v);
    if (key === 'owner') shown = h('a', { href: `#/users/${p(v)}`, text: v });
    if (key === 'affiliations_count') shown = Number(v).toLocaleString();
    if (v === '') shown = '—';
    return [LABELS[key] || key, shown];
  });
}

function editDialog(kind, d, done) {
  const k = KINDS[kind];
  const fields = [
    { name: 'name', label: 'Name', value: d.name, required: true },
    { name: 'description', label: 'Description', type: 'textarea', value: d.description },
    { name: 'maxusers', label: 'Maximum members', type: 'number', min: 1, value: String(d.maxusers) },
  ];
  if (kind === 'group') {
    fields.push(
      { name: 'public', label: 'Public', type: 'checkbox', value: d.public },
      { name: 'membersonly', label: 'Joining needs approval', type: 'checkbox', value: d.membersonly },
      { name: 'allowinvites', label: 'Members may invite', type: 'checkbox', value: d.allowinvites },
      { name: 'custom', label: 'Custom data', value: d.custom },
    );
  }
  return formDialog({
    title: `Edit ${k.noun}`,
    fields,
    onSubmit: async (v) => {
      const body = {};
      if (v.name !== d.name) body[kind === 'group' ? 'groupname' : 'name'] = v.name;
      if (v.description !== d.description) body.description = v.description;
      if (Number(v.maxusers) !== d.maxusers) body.maxusers = Number(v.maxusers);
      if (kind === 'group') {
        for (const f of ['public', 'membersonly', 'allowinvites', 'custom']) if (v[f] !== d[f]) body[f] = v[f];
      }
      if (!Object.keys(body).length) return;
      await put(`${k.base}/${p(d.id)}`, body);
      toast('Saved.');
      done();
    },
  });
}

export async function roomPage(main, kind, id, tab) {
  const k = KINDS[kind];
  const crumbs = [[k.title, `#/${k.route}`]];
  main.append(pageHead(id, { crumbs }), h('p', { class: 'loading', text: 'Loading…' }));
  let d;
  try {
    d = (await get(`${k.base}/${p(id)}`)).data[0];
  } catch (e) {
    if (e.status === 401) return;
    clear(main, pageHead(id, { crumbs }), h('div', { class: 'notice error', role: 'alert', text: e.message }));
    return;
  }
  const path = `${k.base}/${p(id)}`;
  let current = tab;
  const refresh = () => { clear(main); roomPage(main, kind, id, current); };
  const edit = button('Edit', () => editDialog(kind, d, refresh));
  const transfer = button('Transfer', () => formDialog({
    title: `Transfer ${d.name}`,
    intro: `The new owner must be a member. ${d.owner} stays a member.`,
    fields: [{ name: 'newowner', label: 'New owner (username)', required: true }],
    submit: 'Transfer',
    onSubmit: async (v) => { await put(path, { newowner: v.newowner.trim() }); toast('Ownership transferred.'); refresh(); },
  }));
  const muteAll = button(d.mute ? 'Lift mute-all' : 'Mute all', async () => {
    if (!d.mute && !(await confirmAction({ title: `Mute everyone in ${d.name}?`, body: 'Only the owner, admins and allowlisted members may still send messages.', confirm: 'Mute all' }))) return;
    const ok = await act(muteAll, () => (d.mute ? del(`${path}/ban`) : post(`${path}/ban`)), d.mute ? 'Mute-all lifted.' : 'Everyone is muted.');
    if (ok) refresh();
  });
  const actions = [edit, transfer, muteAll];
  if (kind === 'group') {
    const toggle = button(d.disabled ? 'Enable' : 'Disable', async () => {
      if (!d.disabled && !(await confirmAction({ title: `Disable ${d.name}?`, body: 'A disabled group refuses messages and changes until enabled again.', confirm: 'Disable' }))) return;
      const ok = await act(toggle, () => post(`${path}/${d.disabled ? 'enable' : 'disable'}`), d.disabled ? 'Group enabled.' : 'Group disabled.');
      if (ok) refresh();
    }, d.disabled ? 'primary' : 'danger');
    actions.push(toggle);
  }
  const remove = button('Delete', async () => {
    const body = [`Delete the ${k.noun} “${d.name}” (${d.id}) with its ${Number(d.affiliations_count).toLocaleString()} members?`];
    if (kind === 'group') body.push('Its threads and shared files are deleted too.');
    body.push('This cannot be undone.');
    if (!(await confirmAction({ title: `Delete ${k.noun}?`, body, confirm: `Delete ${k.noun}` }))) return;
    if (await act(remove, () => del(path), `${k.one} deleted.`)) location.hash = `#/${k.route}`;
  }, 'danger');
  actions.push(remove);
  const status = [];
  if (d.disabled) status.push(badge('Disabled', 'red'));
  if (d.mute) status.push(badge('Mute-all on', 'amber'));
  const ctx = { kind, id: d.id, path, details: d, refresh };
  const defs = [
    { id: 'members', label: 'Members', render: (panel) => membersTab(panel, ctx) },
    { id: 'admins', label: 'Admins', render: (panel) => adminsTab(panel, ctx) },
    { id: 'mutes', label: 'Mutes', render: (panel) => mutesTab(panel, ctx) },
    { id: 'blocks', label: 'Blocks', render: (panel) => blocksTab(panel, ctx) },
    { id: 'allowlist', label: 'Allowlist', render: (panel) => allowlistTab(panel, ctx) },
    { id: 'announcement', label: 'Announcement', render: (panel) => announcementTab(panel, ctx) },
  ];
  if (kind === 'group') {
    defs.push({ id: 'files', label: 'Files', render: (panel) => filesTab(panel, ctx) });
    defs.push({ id: 'threads', label: 'Threads', render: (panel) => threadsTab(panel, ctx) });
  } else {
    defs.push({ id: 'attributes', label: 'Attributes', render: (panel) => attributesTab(panel, ctx) });
  }
  for (const def of defs) {
    const render = def.render;
    def.render = (panel) => { current = def.id; render(panel); };
  }
  clear(main,
    pageHead(d.name || d.id, { crumbs, actions }),
    status.length ? h('p', { class: 'actions' }, status) : null,
    h('section', { class: 'panel', 'aria-label': `${k.one} details` }, props(detailRows(d))),
    tabs(defs, tab));
}

