// Users: the list (a page at a time), search by exact username, create; one user's page with
// ban, password, nickname, force offline, delete, and its groups, chatrooms, threads,
// attributes and global mutes.

import { get, post, put, del, p } from './api.js';
import {
  h, clear, act, confirmAction, formDialog, pagedTable, tabs, props, fmtTime, badge, pageHead,
  searchBox, button, table, toast,
} from './ui.js';

const PAGE = 20;
const userLink = (name) => h('a', { href: `#/users/${p(name)}`, text: name });

export function createUserDialog(onDone) {
  return formDialog({
    title: 'Create user',
    submit: 'Create',
    fields: [
      { name: 'username', label: 'Username', required: true, hint: '1–64 of a–z, 0–9, _ . - (stored lowercase)' },
      { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password' },
      { name: 'nickname', label: 'Nickname (optional)' },
    ],
    onSubmit: async (v) => {
      const body = { username: v.username.trim(), password: v.password };
      if (v.nickname.trim()) body.nickname = v.nickname.trim();
      const r = await post('/users', body);
      toast(`User ${r.entities?.[0]?.username || body.username} created.`);
      onDone?.(body.username);
    },
  });
}

export function usersPage(main) {
  const list = pagedTable({
    label: 'Users',
    empty: 'No users yet. Create the first one.',
    columns: [
      { label: 'Username', render: (u) => userLink(u.username), class: 'wrap' },
      { label: 'Nickname', render: (u) => u.nickname || '', class: 'wrap' },
      { label: 'Status', render: (u) => (u.activated ? badge('Active', 'green') : badge('Banned', 'red')) },
      { label: 'Created', render: (u) => fmtTime(u.created) },
    ],
    load: async (cursor) => {
      const r = await get('/users', { limit: PAGE, cursor });
      return { rows: r.entities || [], next: r.cursor || null };
    },
  });
  const notice = h('div', { role: 'alert' });
  const search = searchBox('Find a user by exact username', 'Exact username', async (name) => {
    clear(notice);
    if (!name) return;
    try {
      const r = await get(`/users/${p(name)}`);
      location.hash = `#/users/${p(r.entities[0].username)}`;
    } catch (e) {
      if (e.status === 404) clear(notice, h('div', { class: 'notice error', text: `No user “${name}”: ${e.message}` }));
      else if (e.status !== 401) clear(notice, h('div', { class: 'notice error', text: e.message }));
    }
  });
  main.append(
    pageHead('Users', { actions: [button('Create user', () => createUserDialog(() => list.reload()), 'primary')] }),
    h('div', { class: 'toolbar' }, search),
    notice,
    list.node,
  );
}

/** The rooms a user owns, among its first 100 groups and 100 chatrooms: they go with it. */
async function ownedRooms(name) {
  const owned = [];
  let more = false;
  for (let page = 1; page <= 5; page += 1) {
    const r = await get(`/users/${p(name)}/joined_chatgroups`, { pagenum: page, pagesize: 20 });
    for (const g of r.entities || []) if (g.owner === name) owned.push(`group “${g.name}” (${g.id})`);
    if ((r.entities || []).length < 20) break;
    if (page === 5) more = true;
  }
  const rooms = await get(`/users/${p(name)}/joined_chatrooms`, { pagenum: 1, pagesize: 100 });
  const ids = (rooms.data || []).map((c) => c.id);
  if (ids.length === 100) more = true;
  if (ids.length) {
    const d = await get(`/chatrooms/${ids.map(p).join(',')}`);
    for (const c of d.data || []) if (c.owner === name) owned.push(`chatroom “${c.name}” (${c.id})`);
  }
  return { owned, more };
}

async function deleteUser(btn, name) {
  const found = await act(btn, () => ownedRooms(name));
  if (!found) return;
  const body = [`Delete the user ${name}? It is removed from every group, chatroom and thread.`];
  if (found.owned.length) {
    body.push('These rooms it owns will be deleted with it, with all their members and files:');
    body.push(h('ul', null, found.owned.map((t) => h('li', { text: t }))));
  } else {
    body.push('It owns none of the rooms it is in, so no room is deleted.');
  }
  if (found.more) body.push('It is in more rooms than were checked: any others it owns go too.');
  body.push('The threads it created are deleted too. This cannot be undone.');
  if (!(await confirmAction({ title: `Delete ${name}?`, body, confirm: 'Delete user' }))) return;
  if (await act(btn, () => del(`/users/${p(name)}`), `User ${name} deleted.`)) location.hash = '#/users';
}

export async function userPage(main, name, tab) {
  main.append(pageHead(name, { crumbs: [['Users', '#/users']] }), h('p', { class: 'loading', text: 'Loading…' }));
  let u;
  try {
    u = (await get(`/users/${p(name)}`)).entities[0];
  } catch (e) {
    if (e.status === 401) return;
    clear(main, pageHead(name, { crumbs: [['Users', '#/users']] }), h('div', { class: 'notice error', role: 'alert', text: e.message }));
    return;
  }
  const refresh = () => { clear(main); userPage(main, name, tab); };
  const ban = button(u.activated ? 'Ban' : 'Unban', async () => {
    if (u.activated && !(await confirmAction({
      title: `Ban ${name}?`, confirm: 'Ban',
      body: `${name} will get no new token until unbanned.`,
    }))) return;
    const path = `/users/${p(name)}/${u.activated ? 'deactivate' : 'activate'}`;
    if (await act(ban, () => post(path), u.activated ? `${name} is banned.` : `${name} is unbanned.`)) refresh();
  }, u.activated ? 'danger' : 'primary');
  const password = button('Reset password', () => formDialog({
    title: `New password for ${name}`, submit: 'Set password',
    fields: [{ name: 'newpassword', label: 'New password', type: 'password', required: true, autocomplete: 'new-password' }],
    onSubmit: async (v) => { await put(`/users/${p(name)}/password`, { newpassword: v.newpassword }); toast('Password changed.'); },
  }));
  const nick = button('Set nickname', () => formDialog({
    title: `Nickname of ${name}`,
    fields: [{ name: 'nickname', label: 'Nickname', value: u.nickname || '' }],
    onSubmit: async (v) => { await put(`/users/${p(name)}`, { nickname: v.nickname }); toast('Nickname saved.'); refresh(); },
  }));
  const offline = button('Force offline', async () => {
    if (!(await confirmAction({ title: `Force ${name} offline?`, body: 'Every device of this user is disconnected.', confirm: 'Force offline', danger: false }))) return;
    await act(offline, () => get(`/users/${p(name)}/disconnect`), `${name} is offline.`);
  });
  const remove = button('Delete', () => deleteUser(remove, name), 'danger');
  clear(main,
    pageHead(u.username, { crumbs: [['Users', '#/users']], actions: [ban, password, nick, offline, remove] }),
    h('section', { class: 'panel', 'aria-label': 'User details' }, props([
      ['Username', u.username],
      ['Status', u.activated ? badge('Active', 'green') : badge('Banned', 'red')],
      ['Nickname', u.nickname || '—'],
      ['UUID', h('span', { class: 'mono', text: u.uuid })],
      ['Created', fmtTime(u.created)],
      ['Modified', fmtTime(u.modified)],
    ])),
    tabs([
      { id: 'groups', label: 'Groups', render: (panel) => joinedGroups(panel, name) },
      { id: 'chatrooms', label: 'Chatrooms', render: (panel) => joinedChatrooms(panel, name) },
      { id: 'threads', label: 'Threads', render: (panel) => userThreads(panel, name) },
      { id: 'attributes', label: 'Attributes', render: (panel) => attributes(panel, name) },
      { id: 'mutes', label: 'Global mutes', render: (panel) => globalMutes(panel, name) },
    ], tab));
}

function joinedGroups(panel, name) {
  const size = 20;
  panel.append(pagedTable({
    label: 'Groups of the user',
    empty: 'Not in any group.',
    columns: [
      { label: 'Group', render: (g) => h('a', { href: `#/groups/${p(g.id)}`, text: g.name || g.id }), class: 'wrap' },
      { label: 'ID', render: (g) => h('span', { class: 'mono', text: g.id }) },
      { label: 'Role', render: (g) => (g.owner === name ? badge('Owner') : 'Member') },
      { label: 'Status', render: (g) => (g.disabled ? badge('Disabled', 'red') : '') },
    ],
    load: async (page) => {
      const n = page || 1;
      const r = await get(`/users/${p(name)}/joined_chatgroups`, { pagenum: n, pagesize: size });
      const rows = r.entities || [];
      return { rows, next: n * size < Number(r.total || 0) ? n + 1 : null };
    },
  }).node);
}

function joinedChatrooms(panel, name) {
  const size = 20;
  panel.append(pagedTable({
    label: 'Chatrooms of the user',
    empty: 'Not in any chatroom.',
    columns: [
      { label: 'Chatroom', render: (c) => h('a', { href: `#/chatrooms/${p(c.id)}`, text: c.name || c.id }), class: 'wrap' },
      { label: 'ID', render: (c) => h('span', { class: 'mono', text: c.id }) },
    ],
    load: async (page) => {
      const n = page || 1;
      const r = await get(`/users/${p(name)}/joined_chatrooms`, { pagenum: n, pagesize: size });
      const rows = r.data || [];
      return { rows, next: rows.length === size ? n + 1 : null };
    },
  }).node);
}

function userThreads(panel, name) {
  panel.append(pagedTable({
    label: 'Threads of the user',
    empty: 'Not in any thread.',
    columns: [
      { label: 'Thread', render: (t) => t.name, class: 'wrap' },
      { label: 'Group', render: (t) => h('a', { href: `#/groups/${p(t.groupId)}/threads`, text: t.groupId }) },
      { label: 'Owner', render: (t) => userLink(t.owner) },
      { label: 'Created', render: (t) => fmtTime(t.created) },
    ],
    load: async (cursor) => {
      const r = await get(`/threads/user/${p(name)}`, { limit: PAGE, cursor });
      return { rows: r.entities || [], next: r.properties?.cursor || null };
    },
  }).node);
}

async function attributes(panel, name) {
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  const load = async () => {
    try {
      const r = await get(`/metadata/user/${p(name)}`);
      const rows = Object.entries(r.data || {});
      clear(box, table([
        { label: 'Key', render: ([k]) => k, class: 'wrap' },
        { label: 'Value', render: ([, v]) => v, class: 'wrap' },
        { label: '', render: ([k]) => {
          const b = button('Remove', async () => {
            if (!(await confirmAction({ title: 'Remove attribute?', body: `Remove the attribute “${k}” of ${name}?`, confirm: 'Remove' }))) return;
            if (await act(b, () => put(`/metadata/user/${p(name)}`, { [k]: '' }), 'Attribute removed.')) load();
          }, 'small danger');
          return b;
        } },
      ], rows, 'No attributes.'));
    } catch (e) {
      clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  const add = button('Set attribute', () => formDialog({
    title: `Set an attribute of ${name}`,
    fields: [{ name: 'key', label: 'Key', required: true }, { name: 'value', label: 'Value', type: 'textarea', required: true }],
    onSubmit: async (v) => { await put(`/metadata/user/${p(name)}`, { [v.key]: v.value }); toast('Attribute saved.'); load(); },
  }), 'primary');
  const clearAll = button('Delete all', async () => {
    if (!(await confirmAction({ title: 'Delete all attributes?', body: `Every attribute of ${name} is deleted.`, confirm: 'Delete all' }))) return;
    if (await act(clearAll, () => del(`/metadata/user/${p(name)}`), 'Attributes deleted.')) load();
  }, 'danger');
  panel.append(h('div', { class: 'toolbar' }, add, clearAll), box);
  load();
}

async function globalMutes(panel, name) {
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  const left = (s) => (s === -1 ? 'forever' : s > 0 ? `${s} s left` : 'not muted');
  const load = async () => {
    try {
      const d = (await get(`/mutes/${p(name)}`)).data;
      clear(box, props([
        ['One-to-one chats', left(d.chat)], ['Groups', left(d.groupchat)], ['Chatrooms', left(d.chatroom)],
      ]));
    } catch (e) {
      clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  const hint = 'Seconds; 0 lifts the mute, -1 mutes forever; empty leaves it as it is.';
  const set = button('Change global mutes', () => formDialog({
    title: `Global mutes of ${name}`,
    intro: hint,
    fields: [
      { name: 'chat', label: 'One-to-one chats (seconds)', type: 'number', min: -1 },
      { name: 'groupchat', label: 'Groups (seconds)', type: 'number', min: -1 },
      { name: 'chatroom', label: 'Chatrooms (seconds)', type: 'number', min: -1 },
    ],
    onSubmit: async (v) => {
      const body = { username: name };
      for (const k of ['chat', 'groupchat', 'chatroom']) if (v[k] !== '') body[k] = Number(v[k]);
      await post('/mutes', body);
      toast('Global mutes saved.');
      load();
    },
  }), 'primary');
  panel.append(h('div', { class: 'toolbar' }, set), box);
  load();
}
