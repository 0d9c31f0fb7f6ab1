// Callbacks: the app's rules (add, enable or disable, remove) and the deliveries that died
// (by ten minutes, with replay, and one by one).

import { get, post, put, del, p } from './api.js';
import {
  h, clear, act, confirmAction, formDialog, pagedTable, table, fmtTime, badge, pageHead, button, toast, names,
} from './ui.js';

function showSecret(rule) {
  return formDialog({
    title: 'Rule added',
    submit: 'Done',
    intro: [
      h('p', { text: 'Keep this secret now: it is not shown again. Receivers check each callback’s security field with it.' }),
      h('code', { class: 'secret', id: 'new-secret', text: rule.secret || '' }),
    ],
    fields: [],
    onSubmit: async () => {},
  });
}

function rulesSection(section) {
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  const load = async () => {
    try {
      const rules = (await get('/callbacks/rules')).data || [];
      clear(box, table([
        { label: 'URL', render: (r) => r.url, class: 'wrap' },
        { label: 'Rooms', render: (r) => (r.events || []).join(', ') },
        { label: 'Operations', render: (r) => (r.operations && r.operations.length ? r.operations.join(', ') : 'all') , class: 'wrap' },
        { label: 'Status', render: (r) => (r.enabled ? badge('Enabled', 'green') : badge('Disabled', 'red')) },
        { label: 'Added', render: (r) => fmtTime(r.created) },
        { label: 'Actions', render: (r) => {
          const toggle = button(r.enabled ? 'Disable' : 'Enable', async () => {
            if (r.enabled && !(await confirmAction({ title: 'Disable rule?', body: `No more events go to ${r.url} until it is enabled.`, confirm: 'Disable' }))) return;
            if (await act(toggle, () => put(`/callbacks/rules/${p(r.id)}`, { enabled: !r.enabled }), r.enabled ? 'Rule disabled.' : 'Rule enabled.')) load();
          }, 'small');
          const rm = button('Remove', async () => {
            if (!(await confirmAction({ title: 'Remove rule?', body: `Remove the rule sending to ${r.url}? Its undelivered events are dropped.`, confirm: 'Remove rule' }))) return;
            if (await act(rm, () => del(`/callbacks/rules/${p(r.id)}`), 'Rule removed.')) load();
          }, 'small danger');
          return h('div', { class: 'actions' }, toggle, rm);
        } },
      ], rules, 'No callback rules: no events are sent.'));
    } catch (e) {
      if (e.status !== 401) clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  const add = button('Add rule', () => formDialog({
    title: 'Add a callback rule',
    submit: 'Add rule',
    fields: [
      { name: 'url', label: 'URL', type: 'url', required: true, placeholder: 'https://app.example/im-events' },
      { name: 'group', label: 'Group events', type: 'checkbox', value: true },
      { name: 'chatroom', label: 'Chatroom events', type: 'checkbox', value: true },
      { name: 'operations', label: 'Operations (optional)', hint: 'For example JOIN, LEAVE; empty sends every operation.' },
      { name: 'secret', label: 'Secret (optional)', hint: '8–128 characters; generated when empty.' },
    ],
    onSubmit: async (v) => {
      const body = { url: v.url.trim(), events: [v.group && 'group', v.chatroom && 'chatroom'].filter(Boolean) };
      const ops = names(v.operations).map((o) => o.toUpperCase());
      if (ops.length) body.operations = ops;
      if (v.secret) body.secret = v.secret;
      const r = await post('/callbacks/rules', body);
      load();
      setTimeout(() => showSecret(r.data), 0);
    },
  }), 'primary');
  section.append(h('div', { class: 'page-head' }, h('h2', { text: 'Rules' }), add), box);
  load();
}

function deadSection(section) {
  const box = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading', text: 'Loading…' }));
  let letters;
  const load = async () => {
    try {
      const buckets = (await get('/callbacks/storage/info')).data || [];
      clear(box, table([
        { label: 'Ten minutes from (UTC)', render: (b) => b.date.replace(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)$/, '$1-$2-$3 $4:$5') },
        { label: 'Dead letters', render: (b) => Number(b.size).toLocaleString() },
        { label: 'Replays', render: (b) => b.retry },
        { label: 'Actions', render: (b) => {
          const replay = button('Replay', () => formDialog({
            title: `Replay ${b.size} dead letters`,
            submit: 'Replay',
            intro: 'They are queued again, to their rule’s URL or to the URL given here.',
            fields: [{ name: 'targetUrl', label: 'Other URL (optional)', type: 'url' }],
            onSubmit: async (v) => {
              const body = { date: b.date };
              if (v.targetUrl) body.targetUrl = v.targetUrl.trim();
              await post('/callbacks/storage/retry', body);
              toast('Queued again.');
              load();
              letters?.reload();
            },
          }), 'small');
          return replay;
        } },
      ], buckets, 'No dead letters: every event was delivered or is still being tried.'));
    } catch (e) {
      if (e.status !== 401) clear(box, h('div', { class: 'notice error', text: e.message }));
    }
  };
  letters = pagedTable({
    label: 'Dead letters one by one',
    empty: 'No dead letters.',
    columns: [
      { label: 'Died', render: (d) => fmtTime(d.dead_at) },
      { label: 'Room', render: (d) => `${d.kind} ${d.id}` },
      { label: 'Operation', render: (d) => d.operation },
      { label: 'Attempts', render: (d) => d.attempts },
      { label: 'Last error', render: (d) => d.last_error || '', class: 'wrap' },
    ],
    load: async (cursor) => {
      const r = await get('/callbacks/storage', { limit: 20, cursor });
      return { rows: r.data || [], next: r.cursor || null };
    },
  });
  section.append(h('h2', { text: 'Dead letters' }),
    h('p', { class: 'muted', text: 'Deliveries that did not succeed within the retry horizon, by the ten minutes they died in.' }),
    box, h('h3', { text: 'One by one', class: 'spaced' }), letters.node);
  load();
}

export function callbacksPage(main) {
  const rules = h('section', { class: 'panel', 'aria-label': 'Rules' });
  const dead = h('section', { class: 'panel', 'aria-label': 'Dead letters' });
  main.append(pageHead('Callbacks'),
    h('p', { class: 'muted', text: 'Where the app’s group and chatroom events are sent after each change.' }),
    rules, dead);
  rulesSection(rules);
  deadSection(dead);
}
