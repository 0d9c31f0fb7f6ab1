// DOM helpers. Every piece of data is put on the page as text (textContent, attributes set one
// by one); nothing here parses HTML.

/** Creates an element. `props`: class, text, on<Event> handlers, dataset, and plain attributes. */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value') node.value = v;
    else if (k === 'checked') node.checked = Boolean(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function toast(text, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null, text });
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 4000);
}

/** Runs an API call from a button: the button shows it is busy; failures show the API's text. */
export async function act(button, fn, okText) {
  const old = button ? [...button.childNodes] : null;
  if (button) {
    button.disabled = true;
    button.prepend(h('span', { class: 'spinner', 'aria-hidden': 'true' }));
  }
  try {
    const out = await fn();
    if (okText) toast(okText);
    return out === undefined ? true : out;
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
    return undefined;
  } finally {
    if (button && button.isConnected) {
      button.disabled = false;
      button.replaceChildren(...old);
    }
  }
}

function dialogShell(title) {
  const dlg = h('dialog', { 'aria-labelledby': 'dlg-title' });
  const form = h('form', { novalidate: true });
  form.append(h('h2', { id: 'dlg-title', text: title }));
  dlg.append(form);
  document.body.append(dlg);
  return { dlg, form };
}

/** Asks before anything destructive. Resolves to true when confirmed. */
export function confirmAction({ title, body, confirm = 'Confirm', danger = true }) {
  return new Promise((resolve) => {
    const { dlg, form } = dialogShell(title);
    const lines = Array.isArray(body) ? body : [body];
    for (const l of lines) form.append(l instanceof Node ? l : h('p', { text: l }));
    const ok = h('button', { type: 'submit', class: danger ? 'danger solid' : 'primary', text: confirm });
    const cancel = h('button', { type: 'button', text: 'Cancel' });
    form.append(h('div', { class: 'buttons' }, cancel, ok));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    form.addEventListener('submit', (e) => { e.preventDefault(); done(true); });
    dlg.showModal();
    cancel.focus();
  });
}

function fieldNode(f, id) {
  const common = { id, name: f.name, required: f.required || null, placeholder: f.placeholder || null,
    autocomplete: f.autocomplete || 'off', 'aria-describedby': f.hint ? `${id}-hint` : null };
  let input;
  if (f.type === 'textarea') input = h('textarea', common);
  else if (f.type === 'select') {
    input = h('select', common, (f.options || []).map(([v, l]) => h('option', { value: v, text: l })));
  } else if (f.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox', checked: f.value });
    return h('div', { class: 'field' }, h('label', { class: 'check', for: id }, input, f.label),
      f.hint ? h('div', { class: 'hint', id: `${id}-hint`, text: f.hint }) : null);
  } else input = h('input', { ...common, type: f.type || 'text', min: f.min ?? null, max: f.max ?? null });
  if (f.value !== undefined && f.type !== 'file') input.value = f.value;
  return h('div', { class: 'field' }, h('label', { for: id, text: f.label }), input,
    f.hint ? h('div', { class: 'hint', id: `${id}-hint`, text: f.hint }) : null);
}

function valuesOf(form, fields) {
  const out = {};
  for (const f of fields) {
    const el = form.elements.namedItem(f.name);
    if (f.type === 'checkbox') out[f.name] = el.checked;
    else if (f.type === 'file') out[f.name] = el.files[0] || null;
    else out[f.name] = el.value;
  }
  return out;
}

let dialogCount = 0;

/**
 * A form in a dialog. `onSubmit(values)` runs the API call: its error text is shown in the
 * dialog, which stays open; on success the dialog closes and the promise resolves to its result.
 */
export function formDialog({ title, intro, fields, submit = 'Save', danger = false, onSubmit }) {
  return new Promise((resolve) => {
    const { dlg, form } = dialogShell(title);
    const n = ++dialogCount;
    if (intro) form.append(...(Array.isArray(intro) ? intro : [intro]).map((t) => (t instanceof Node ? t : h('p', { text: t }))));
    fields.forEach((f, i) => form.append(fieldNode(f, `f${n}-${i}`)));
    const error = h('p', { class: 'error-text', role: 'alert' });
    const ok = h('button', { type: 'submit', class: danger ? 'danger solid' : 'primary', text: submit });
    const cancel = h('button', { type: 'button', text: 'Cancel' });
    form.append(error, h('div', { class: 'buttons' }, cancel, ok));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(null));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      const values = valuesOf(form, fields);
      const missing = fields.find((f) => f.required && (values[f.name] === '' || values[f.name] === null));
      if (missing) {
        error.textContent = `${missing.label} is required.`;
        return;
      }
      ok.disabled = true;
      ok.prepend(h('span', { class: 'spinner', 'aria-hidden': 'true' }));
      try {
        const out = await onSubmit(values);
        done(out === undefined ? true : out);
      } catch (err) {
        if (err.status === 401) return done(null);
        error.textContent = err.message;
        ok.disabled = false;
        ok.querySelector('.spinner')?.remove();
      }
    });
    dlg.showModal();
    form.querySelector('input, select, textarea')?.focus();
  });
}

/** A table. `columns`: [{ label, render(row) -> text or Node, class }]. */
export function table(columns, rows, emptyText = 'Nothing here yet.') {
  const head = h('tr', null, columns.map((c) => h('th', { scope: 'col', text: c.label })));
  const body = h('tbody');
  if (!rows.length) {
    body.append(h('tr', null, h('td', { class: 'empty', colspan: columns.length, text: emptyText })));
  }
  for (const r of rows) {
    body.append(h('tr', null, columns.map((c) => {
      const v = c.render(r);
      return h('td', { class: c.class || null }, v instanceof Node ? v : String(v ?? ''));
    })));
  }
  return h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, head), body));
}

/**
 * A paged table. `load(token)` resolves to `{ rows, next }`: `next` is the token of the following
 * page (a cursor or a page number) or null. Pages are fetched one at a time, so a list of any
 * size costs one page.
 */
export function pagedTable({ columns, load, empty, label = 'Results' }) {
  const node = h('div', { class: 'paged', 'aria-label': label });
  const body = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' },
    h('div', { class: 'table-wrap' }, h('p', { class: 'loading', text: 'Loading…' })));
  const info = h('span', { class: 'info' });
  const prev = h('button', { type: 'button', class: 'small', text: '← Previous' });
  const next = h('button', { type: 'button', class: 'small', text: 'Next →' });
  node.append(body, h('nav', { class: 'pager', 'aria-label': `${label} pages` }, info, prev, next));
  const stack = [null];
  let nextToken = null;
  let rows = [];
  async function show() {
    body.setAttribute('aria-busy', 'true');
    prev.disabled = true;
    next.disabled = true;
    try {
      const page = await load(stack[stack.length - 1]);
      rows = page.rows;
      nextToken = page.next ?? null;
      clear(body, table(columns, rows, empty));
      info.textContent = `Page ${stack.length}${rows.length ? ` · ${rows.length} shown` : ''}`;
    } catch (e) {
      clear(body, h('div', { class: 'notice error', role: 'alert', text: e.message }));
      info.textContent = '';
    } finally {
      body.setAttribute('aria-busy', 'false');
      prev.disabled = stack.length <= 1;
      next.disabled = nextToken === null;
    }
  }
  prev.addEventListener('click', () => { if (stack.length > 1) { stack.pop(); show(); } });
  next.addEventListener('click', () => { if (nextToken !== null) { stack.push(nextToken); show(); } });
  show();
  return { node, reload: show, rows: () => rows };
}

/** Tabs with roving focus (arrow keys). `defs`: [{ id, label, render(panel) }]. */
export function tabs(defs, initial) {
  const list = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { role: 'tabpanel', tabindex: '0' });
  const buttons = defs.map((d) => h('button', {
    type: 'button', role: 'tab', id: `tab-${d.id}`, 'aria-controls': 'tabpanel', text: d.label,
  }));
  panel.id = 'tabpanel';
  function select(i, focus) {
    buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', buttons[i].id);
    clear(panel);
    defs[i].render(panel);
    if (focus) buttons[i].focus();
  }
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => select(i));
    b.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') select((i + 1) % buttons.length, true);
      if (e.key === 'ArrowLeft') select((i - 1 + buttons.length) % buttons.length, true);
    });
  });
  list.append(...buttons);
  select(Math.max(0, defs.findIndex((d) => d.id === initial)));
  return h('div', null, list, panel);
}

/** A definition list of name → value, every value as text. */
export function props(entries) {
  const dl = h('dl', { class: 'props' });
  for (const [k, v] of entries) {
    dl.append(h('dt', { text: k }), h('dd', null, v instanceof Node ? v : String(v ?? '')));
  }
  return dl;
}

export function fmtTime(ms) {
  const n = Number(ms);
  if (!n) return '';
  return new Date(n).toLocaleString();
}

/** Time left until `ms` (epoch milliseconds), as "2h 5m"; "forever" far away. */
export function fmtLeft(ms) {
  const left = Number(ms) - Date.now();
  if (Number(ms) >= 4638873600000 || Number(ms) === -1) return 'forever';
  if (left <= 0) return 'expired';
  const s = Math.round(left / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function badge(text, color) {
  return h('span', { class: `badge ${color || ''}`, text });
}

/** The page heading with optional breadcrumbs and actions. */
export function pageHead(title, { crumbs, actions } = {}) {
  return h('div', null,
    crumbs ? h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      crumbs.map(([text, href], i) => [i ? ' / ' : '', h('a', { href, text })])) : null,
    h('div', { class: 'page-head' }, h('h1', { text: title }), actions ? h('div', { class: 'actions' }, actions) : null));
}

/** A search box: `onSearch(text)` runs on submit. */
export function searchBox(label, placeholder, onSearch) {
  const id = `s-${++dialogCount}`;
  const input = h('input', { type: 'search', id, placeholder, autocomplete: 'off' });
  const form = h('form', { class: 'search', role: 'search' },
    h('label', { class: 'sr-only', for: id, text: label }), input,
    h('button', { type: 'submit', text: 'Search' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onSearch(input.value.trim());
  });
  return form;
}

export const button = (text, onClick, cls) => h('button', { type: 'button', class: cls || null, text, onClick });

/** Splits "a, b c" into ["a", "b", "c"]. */
export const names = (s) => String(s || '').split(/[\s,]+/).filter(Boolean);
