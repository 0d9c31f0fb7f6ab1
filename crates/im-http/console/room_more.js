// A room's content: announcement, group shared files (upload, download, delete), chatroom
// custom attributes, and a group's threads with their members.

import { get, post, put, del, call, p } from './api.js';
import {
  h, clear, act, confirmAction, formDialog, pagedTable, table, fmtTime, button, toast, names,
} from './ui.js';

const userLink = (name) => h('a', { href: `#/users/${p(name)}`, text: name });

export function announcementTab(panel, ctx) {
  const id = `ann-${ctx.id}`;
  const text = h('textarea', { id, maxlength: '512', rows: '5' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite', text: 'Loading…' });
  const current = h('div', { class: 'panel', 'aria-label': 'Current announcement' });
  const show = (a) => {
    clear(current, h('h3', { text: 'Current announcement' }), a ? h('p', { class: 'announcement', text: a }) : h('p', { class: 'muted', text: 'No announcement.' }));
    text.value = a;
    status.textContent = `${a.length} / 512 characters`;
  };
  // Until the current text is in, nothing can be typed or saved (the load would overwrite what
  // was typed, and a save would send an empty announcement).
  const ready = (yes) => { text.disabled = !yes; save.disabled = !yes; };
  const load = () => get(`${ctx.path}/announcement`).then((r) => show(r.data?.announcement || ''))
    .catch((e) => { status.textContent = e.message; })
    .finally(() => ready(true));
  text.addEventListener('input', () => { status.textContent = `${text.value.length} / 512 characters`; });
  const save = button('Save announcement', async () => {
    if (await act(save, () => post(`${ctx.path}/announcement`, { announcement: text.value }), 'Announcement saved.')) load();
  }, 'primary');
  const clearBtn = button('Clear', async () => {
    if (!(await confirmAction({ title: 'Clear the announcement?', body: 'Members will see no announcement.', confirm: 'Clear' }))) return;
    if (await act(clearBtn, () => post(`${ctx.path}/announcement`, { announcement: '' }), 'Announcement cleared.')) load();
  }, 'danger');
  panel.append(current, h('div', { class: 'field' }, h('label', { for: id, text: 'New announcement' }), text, status),
    h('div', { class: 'actions' }, save, clearBtn));
  ready(false);
  load();
}

function size(n) {
  const v = Number(n);
  if (v >= 1048576) return `${(v / 1048576).toFixed(1)} MB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${v} B`;
}

async function download(btn, ctx, f) {
  await act(btn, async () => {
    const res = await call('GET', `${ctx.path}/share_files/${p(f.file_id)}`, { raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: f.file_name || 'file' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
}

export function filesTab(panel, ctx) {
  const SIZE = 20;
  const list = pagedTable({
    label: 'Shared files',
    empty: 'No shared files.',
    columns: [
      { label: 'Name', render: (f) => f.file_name, class: 'wrap' },
      { label: 'Size', render: (f) => size(f.file_size) },
      { label: 'Owner', render: (f) => userLink(f.file_owner) },
      { label: 'Uploaded', render: (f) => fmtTime(f.created) },
      { label: 'Actions', render: (f) => {
        const dl = button('Download', () => download(dl, ctx, f), 'small');
        const rm = button('Delete', async () => {
          if (!(await confirmAction({ title: 'Delete file?', body: `Delete “${f.file_name}” from ${ctx.details.name}?`, confirm: 'Delete file' }))) return;
          if (await act(rm, () => del(`${ctx.path}/share_files/${p(f.file_id)}`), 'File deleted.')) list.reload();
        }, 'small danger');
        return h('div', { class: 'actions' }, dl, rm);
      } },
    ],
    load: async (page) => {
      const n = page || 1;
      const r = await get(`${ctx.path}/share_files`, { pagenum: n, pagesize: SIZE });
      const rows = r.data || [];
      return { rows, next: rows.length === SIZE ? n + 1 : null };
    },
  });
  const upload = button('Upload file', () => formDialog({
    title: 'Upload a shared file',
    submit: 'Upload',
    intro: 'The group owner owns files uploaded here.',
    fields: [{ name: 'file', label: 'File', type: 'file', required: true }],
    onSubmit: async (v) => {
      const form = new FormData();
      form.append('file', v.file, v.file.name);
      await call('POST', `${ctx.path}/share_files`, { form });
      toast(`${v.file.name} uploaded.`);
      list.reload();
    },
  }), 'primary');
  panel.append(h('div', { class: 'toolbar' }, upload), list.node);
}

export function attributesTab(panel, ctx) {
  const base = `/metadata/chatroom/${p(ctx.id)}`;
  const owner = ctx.details.owner;
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  const load = async () => {
    try {
      const r = await post(base, {});
      clear(box, table([
        { label: 'Key', render: ([k]) => k, class: 'wrap' },
        { label: 'Value', render: ([, v]) => v, class: 'wrap' },
        { label: 'Actions', render: ([k]) => {
          const b = button('Delete', async () => {
            if (!(await confirmAction({ title: 'Delete attribute?', body: `Delete the attribute “${k}”, whoever set it?`, confirm: 'Delete' }))) return;
            const ok = await act(b, () => call('DELETE', `${base}/user/${p(owner)}/forced`, { body: { keys: [k] } }), 'Attribute deleted.');
            if (ok) load();
          }, 'small danger');
          return b;
        } },
      ], Object.entries(r.data || {}), 'No attributes.'));
    } catch (e) {
      if (e.status !== 401) clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  const add = button('Set attribute', () => formDialog({
    title: 'Set a chatroom attribute',
    intro: 'Set as a member; “Overwrite” replaces a key another member set.',
    fields: [
      { name: 'key', label: 'Key', required: true, hint: '1–128 of a–z, A–Z, 0–9, _ . -' },
      { name: 'value', label: 'Value', type: 'textarea', required: true },
      { name: 'user', label: 'Set as (member username)', value: owner, required: true },
      { name: 'forced', label: 'Overwrite', type: 'checkbox', value: true },
      { name: 'keep', label: 'Keep after the member leaves', type: 'checkbox', value: true },
    ],
    onSubmit: async (v) => {
      const path = `${base}/user/${p(v.user.trim())}${v.forced ? '/forced' : ''}`;
      const r = await put(path, { metaData: { [v.key]: v.value }, autoDelete: v.keep ? 'NO_DELETE' : 'DELETE' });
      const errors = Object.entries(r.data?.errorKeys || {});
      if (errors.length) throw new Error(errors.map(([k, why]) => `${k}: ${why}`).join('; '));
      toast('Attribute saved.');
      load();
    },
  }), 'primary');
  panel.append(h('div', { class: 'toolbar' }, add), box);
  load();
}

function threadMembers(t) {
  return formDialog({
    title: `Members of ${t.name}`,
    submit: 'Close',
    intro: [threadMemberList(t)],
    fields: [],
    onSubmit: async () => {},
  });
}

function threadMemberList(t) {
  const node = h('div');
  const list = pagedTable({
    label: 'Thread members',
    empty: 'No members.',
    columns: [{ label: 'Member', render: (n) => userLink(n) }],
    load: async (cursor) => {
      const r = await get(`/thread/${p(t.id)}/users`, { limit: 20, cursor });
      return { rows: r.data?.affiliations || [], next: r.properties?.cursor || null };
    },
  });
  node.append(list.node);
  return node;
}

export function threadsTab(panel, ctx) {
  const list = pagedTable({
    label: 'Threads',
    empty: 'This group has no threads.',
    columns: [
      { label: 'Thread', render: (t) => t.name, class: 'wrap' },
      { label: 'ID', render: (t) => h('span', { class: 'mono', text: t.id }) },
      { label: 'Owner', render: (t) => userLink(t.owner) },
      { label: 'Created', render: (t) => fmtTime(t.created) },
      { label: 'Actions', render: (t) => {
        const members = button('Members', () => threadMembers(t), 'small');
        const add = button('Add members', () => formDialog({
          title: `Add members to ${t.name}`, submit: 'Add',
          fields: [{ name: 'usernames', label: 'Group members (usernames, at most 10)', required: true }],
          onSubmit: async (v) => { await post(`/thread/${p(t.id)}/users`, { usernames: names(v.usernames) }); toast('Added.'); },
        }), 'small');
        const rename = button('Rename', () => formDialog({
          title: 'Rename thread', fields: [{ name: 'name', label: 'Name', value: t.name, required: true }],
          onSubmit: async (v) => { await put(`/thread/${p(t.id)}`, { name: v.name }); toast('Renamed.'); list.reload(); },
        }), 'small');
        const rm = button('Delete', async () => {
          if (!(await confirmAction({ title: 'Delete thread?', body: `Delete the thread “${t.name}” and its memberships?`, confirm: 'Delete thread' }))) return;
          if (await act(rm, () => del(`/thread/${p(t.id)}`), 'Thread deleted.')) list.reload();
        }, 'small danger');
        return h('div', { class: 'actions' }, members, add, rename, rm);
      } },
    ],
    load: async (cursor) => {
      const r = await get(`${ctx.path}/threads`, { limit: 20, cursor });
      return { rows: r.entities || [], next: r.properties?.cursor || null };
    },
  });
  const create = button('Create thread', () => formDialog({
    title: 'Create a thread', submit: 'Create',
    fields: [
      { name: 'name', label: 'Name', required: true },
      { name: 'owner', label: 'Owner (a group member)', value: ctx.details.owner, required: true },
      { name: 'msg_id', label: 'Message id it starts from', required: true },
    ],
    onSubmit: async (v) => {
      await post('/thread', { group_id: ctx.id, name: v.name, owner: v.owner.trim(), msg_id: v.msg_id });
      toast('Thread created.');
      list.reload();
    },
  }), 'primary');
  panel.append(h('div', { class: 'toolbar' }, create), list.node);
}
