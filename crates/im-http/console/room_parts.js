// A room's people: members with roles (a page at a time), admins, mutes with time left, blocks
// and the allowlist. Each action is the API's own call; a refusal shows the API's text.

import { get, post, del, p } from './api.js';
import {
  h, clear, act, confirmAction, formDialog, pagedTable, table, fmtLeft, badge, button, toast, names,
} from './ui.js';

const MEMBER_PAGE = 50;
const userLink = (name) => h('a', { href: `#/users/${p(name)}`, text: name });

/** A duration field's value in ms for the API: minutes, or -1 for ever. */
function muteDuration(v) {
  if (v.forever) return -1;
  return Math.max(1, Math.round(Number(v.minutes || 0) * 60000));
}

export function muteDialog(ctx, preset, done) {
  return formDialog({
    title: 'Mute members',
    submit: 'Mute',
    fields: [
      { name: 'usernames', label: 'Usernames', value: preset || '', required: true },
      { name: 'minutes', label: 'Minutes', type: 'number', min: 1, value: '60' },
      { name: 'forever', label: 'Until unmuted', type: 'checkbox' },
    ],
    onSubmit: async (v) => {
      const r = await post(`${ctx.path}/mute`, { usernames: names(v.usernames), mute_duration: muteDuration(v) });
      const failed = (r.data || []).filter((x) => x.result === false);
      toast(failed.length ? `Muted, except ${failed.map((x) => x.user).join(', ')}.` : 'Muted.');
      done?.();
    },
  });
}

function memberActions(ctx, name, role, reload) {
  if (role === 'owner') return h('span', { class: 'muted', text: '—' });
  const mute = button('Mute', () => muteDialog(ctx, name, reload), 'small');
  const admin = role === 'admin'
    ? button('Remove admin', () => act(admin, () => del(`${ctx.path}/admin/${p(name)}`), `${name} is no longer an admin.`).then((ok) => ok && reload()), 'small')
    : button('Make admin', () => act(admin, () => post(`${ctx.path}/admin`, { newadmin: name }), `${name} is an admin.`).then((ok) => ok && reload()), 'small');
  const block = button('Block', async () => {
    if (!(await confirmAction({ title: `Block ${name}?`, body: `${name} is removed and cannot join again until unblocked.`, confirm: 'Block' }))) return;
    if (await act(block, () => post(`${ctx.path}/blocks/users/${p(name)}`), `${name} is blocked.`)) reload();
  }, 'small danger');
  const kick = button('Remove', async () => {
    if (!(await confirmAction({ title: `Remove ${name}?`, body: `Remove ${name} from ${ctx.details.name}?`, confirm: 'Remove' }))) return;
    if (await act(kick, () => del(`${ctx.path}/users/${p(name)}`), `${name} removed.`)) reload();
  }, 'small danger');
  return h('div', { class: 'actions' }, mute, admin, block, kick);
}

function addMembersDialog(ctx, done) {
  return formDialog({
    title: 'Add members',
    submit: 'Add',
    fields: [{ name: 'usernames', label: 'Usernames (comma or space separated)', required: true, hint: 'At most 60 at once.' }],
    onSubmit: async (v) => {
      const list = names(v.usernames);
      if (list.length === 1) await post(`${ctx.path}/users/${p(list[0])}`);
      else await post(`${ctx.path}/users`, { usernames: list });
      toast(list.length === 1 ? `${list[0]} added.` : `${list.length} members added.`);
      done();
    },
  });
}

export function membersTab(panel, ctx) {
  let admins = new Set();
  const list = pagedTable({
    label: 'Members',
    empty: 'No members.',
    columns: [
      { label: 'Member', render: (m) => userLink(m.name), class: 'wrap' },
      { label: 'Role', render: (m) => (m.role === 'owner' ? badge('Owner') : m.role === 'admin' ? badge('Admin', 'amber') : 'Member') },
      { label: 'Actions', render: (m) => memberActions(ctx, m.name, m.role, () => list.reload()) },
    ],
    load: async (page) => {
      const n = page || 1;
      const [r, a] = await Promise.all([
        get(`${ctx.path}/users`, { pagenum: n, pagesize: MEMBER_PAGE }),
        get(`${ctx.path}/admin`),
      ]);
      admins = new Set(a.data || []);
      const rows = (r.data || []).map((m) => {
        const name = m.owner || m.member;
        return { name, role: m.owner ? 'owner' : admins.has(name) ? 'admin' : 'member' };
      });
      return { rows, next: rows.length === MEMBER_PAGE ? n + 1 : null };
    },
  });
  const found = h('div', { 'aria-live': 'polite' });
  const findId = `find-${ctx.id}`;
  const input = h('input', { type: 'search', id: findId, placeholder: 'Exact username', autocomplete: 'off' });
  const find = h('form', { class: 'search', role: 'search' },
    h('label', { class: 'sr-only', for: findId, text: 'Find a member by exact username' }), input,
    h('button', { type: 'submit', text: 'Find member' }));
  find.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = input.value.trim().toLowerCase();
    clear(found);
    if (!name) return;
    try {
      const member = await isMember(ctx, name);
      const a = await get(`${ctx.path}/admin`);
      const role = ctx.details.owner === name ? 'owner' : (a.data || []).includes(name) ? 'admin' : 'member';
      clear(found, member
        ? h('div', { class: 'notice' }, h('p', null, userLink(name), ` is a member (${role}).`), memberActions(ctx, name, role, () => list.reload()))
        : h('div', { class: 'notice', text: `${name} is not a member.` }));
    } catch (err) {
      if (err.status !== 401) clear(found, h('div', { class: 'notice error', text: err.message }));
    }
  });
  panel.append(
    h('div', { class: 'toolbar' }, button('Add members', () => addMembersDialog(ctx, () => list.reload()), 'primary'), find),
    found,
    h('p', { class: 'muted', text: `${Number(ctx.details.affiliations_count).toLocaleString()} members in all, ${MEMBER_PAGE} a page, owner first.` }),
    list.node);
}

/** Whether `name` is a member: a group answers directly; for a chatroom, the user's rooms say. */
async function isMember(ctx, name) {
  if (ctx.kind === 'group') {
    const r = await get(`${ctx.path}/user/${p(name)}/is_joined`);
    return r.data === true;
  }
  for (let page = 1; page <= 100; page += 1) {
    const r = await get(`/users/${p(name)}/joined_chatrooms`, { pagenum: page, pagesize: 1000 });
    const rows = r.data || [];
    if (rows.some((c) => c.id === ctx.id)) return true;
    if (rows.length < 1000) return false;
  }
  return false;
}

/** A simple list of usernames with one removing action per row and one adding dialog. */
function nameList(panel, { load, empty, add, remove, columns = [] }) {
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  const reload = async () => {
    try {
      const rows = await load();
      clear(box, table([
        { label: 'User', render: (r) => userLink(r.user), class: 'wrap' },
        ...columns,
        { label: 'Actions', render: (r) => {
          const b = button(remove.label, async () => {
            if (remove.confirm && !(await confirmAction({ title: `${remove.label} ${r.user}?`, body: remove.confirm(r.user), confirm: remove.label }))) return;
            if (await act(b, () => remove.call(r.user), remove.done(r.user))) reload();
          }, 'small');
          return b;
        } },
      ], rows, empty));
    } catch (e) {
      if (e.status !== 401) clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  panel.append(h('div', { class: 'toolbar' }, button(add.label, () => add.open(reload), 'primary')), box);
  reload();
  return reload;
}

export function adminsTab(panel, ctx) {
  nameList(panel, {
    empty: 'No admins.',
    load: async () => ((await get(`${ctx.path}/admin`)).data || []).map((user) => ({ user })),
    add: {
      label: 'Add admin',
      open: (reload) => formDialog({
        title: 'Add admin', submit: 'Add',
        fields: [{ name: 'newadmin', label: 'Member (username)', required: true }],
        onSubmit: async (v) => { await post(`${ctx.path}/admin`, { newadmin: v.newadmin.trim() }); toast('Admin added.'); reload(); },
      }),
    },
    remove: { label: 'Remove admin', call: (u) => del(`${ctx.path}/admin/${p(u)}`), done: (u) => `${u} is no longer an admin.` },
  });
}

export function mutesTab(panel, ctx) {
  nameList(panel, {
    empty: 'Nobody is muted.',
    load: async () => (await get(`${ctx.path}/mute`)).data || [],
    columns: [{ label: 'Time left', render: (r) => fmtLeft(r.expire) }],
    add: { label: 'Mute members', open: (reload) => muteDialog(ctx, '', reload) },
    remove: { label: 'Unmute', call: (u) => del(`${ctx.path}/mute/${p(u)}`), done: (u) => `${u} is unmuted.` },
  });
}

// A set of users kept under `${ctx.path}/${seg}/users`, added one by name or many at once.
function userSetTab(panel, ctx, seg, { empty, add, added, remove, removed }) {
  const path = `${ctx.path}/${seg}/users`;
  nameList(panel, {
    empty,
    load: async () => ((await get(path)).data || []).map((user) => ({ user })),
    add: {
      label: add.label,
      open: (reload) => formDialog({
        ...add.dialog,
        fields: [{ name: 'usernames', label: add.field, required: true }],
        onSubmit: async (v) => {
          const list = names(v.usernames);
          if (list.length === 1) await post(`${path}/${p(list[0])}`);
          else await post(path, { usernames: list });
          toast(added);
          reload();
        },
      }),
    },
    remove: { label: remove, call: (u) => del(`${path}/${p(u)}`), done: removed },
  });
}

export function blocksTab(panel, ctx) {
  userSetTab(panel, ctx, 'blocks', {
    empty: 'Nobody is blocked.',
    add: {
      label: 'Block users',
      field: 'Usernames',
      dialog: {
        title: 'Block users', submit: 'Block', danger: true,
        intro: 'Blocked members are removed, and blocked users cannot join until unblocked.',
      },
    },
    added: 'Blocked.',
    remove: 'Unblock',
    removed: (u) => `${u} is unblocked.`,
  });
}

export function allowlistTab(panel, ctx) {
  userSetTab(panel, ctx, 'white', {
    empty: 'The allowlist is empty.',
    add: {
      label: 'Add to allowlist',
      field: 'Members (usernames)',
      dialog: {
        title: 'Add to the allowlist', submit: 'Add',
        intro: 'Allowlisted members may speak while mute-all is on.',
      },
    },
    added: 'Added to the allowlist.',
    remove: 'Remove',
    removed: (u) => `${u} is off the allowlist.`,
  });
}
