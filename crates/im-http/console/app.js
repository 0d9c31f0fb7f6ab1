// The console's entry: sign-in, the frame (top bar, navigation) and the router. Routes live in
// the URL's fragment (#/users/alice); the token never does.

import { session, signIn, signOut } from './api.js';
import { h, clear } from './ui.js';
import { overviewPage } from './overview.js';
import { usersPage, userPage } from './users.js';
import { roomsPage, roomPage } from './rooms.js';
import { callbacksPage } from './callbacks.js';

const root = document.getElementById('root');
let signOutReason = '';
let stopPage = null;

const NAV = [
  ['overview', 'Overview'],
  ['users', 'Users'],
  ['groups', 'Groups'],
  ['chatrooms', 'Chatrooms'],
  ['callbacks', 'Callbacks'],
];

function field(id, label, props) {
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), h('input', { id, name: id, required: true, ...props }));
}

function signInPage() {
  document.title = 'Sign in · imserver console';
  const error = h('p', { class: 'error-text', role: 'alert', id: 'signin-error', text: signOutReason });
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Sign in' });
  const form = h('form', { 'aria-describedby': 'signin-error' },
    h('div', { class: 'row2' },
      field('org', 'Organization', { type: 'text', autocomplete: 'organization', value: 'demo' }),
      field('app', 'App', { type: 'text', autocomplete: 'off', value: 'demo' })),
    field('client_id', 'Client ID', { type: 'text', autocomplete: 'username', spellcheck: 'false' }),
    field('client_secret', 'Client secret', { type: 'password', autocomplete: 'current-password' }),
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (n) => form.elements.namedItem(n).value.trim();
    if (!v('org') || !v('app') || !v('client_id') || !v('client_secret')) {
      error.textContent = 'Fill in the organization, app, client ID and client secret.';
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      await signIn(v('org'), v('app'), v('client_id'), v('client_secret'));
      signOutReason = '';
      if (!location.hash || location.hash === '#/') location.hash = '#/overview';
      else render();
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
    }
  });
  clear(root, h('main', { class: 'signin', id: 'main' },
    h('section', { class: 'panel', 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title' }, h('img', { src: '/console/icon.svg', alt: '' }), 'imserver console'),
      h('p', { class: 'muted', text: "Sign in with the app's client ID and secret (imserver app create prints them). The token stays in this tab only." }),
      form)));
  form.elements.namedItem(form.elements.namedItem('client_id').value ? 'client_secret' : 'client_id').focus();
}

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  return { page: parts[0] || 'overview', id: parts[1] || '', tab: parts[2] || '' };
}

function frame(s, current) {
  const nav = h('nav', { class: 'sidenav', 'aria-label': 'Sections' },
    h('ul', null, NAV.map(([id, label]) => h('li', null,
      h('a', { href: `#/${id}`, 'aria-current': id === current ? 'page' : null, text: label })))));
  const out = h('button', { type: 'button', id: 'sign-out', text: 'Sign out' });
  out.addEventListener('click', () => signOut('Signed out.'));
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(root, h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/overview' }, h('img', { src: '/console/icon.svg', alt: '' }), 'imserver console'),
      h('span', { class: 'tenant', title: 'Signed in to', text: `${s.org} # ${s.app}` }),
      h('span', { class: 'spacer' }), out),
    nav, main));
  return main;
}

function render() {
  if (stopPage) { stopPage(); stopPage = null; }
  document.querySelectorAll('dialog').forEach((d) => d.remove());
  const s = session();
  root.setAttribute('aria-busy', 'false');
  if (!s || (s.expires && s.expires < Date.now())) {
    if (s) { signOutReason = 'Your session expired; please sign in again.'; sessionStorage.clear(); }
    signInPage();
    return;
  }
  const r = parseRoute();
  const known = NAV.some(([id]) => id === r.page);
  const main = frame(s, known ? r.page : '');
  const label = NAV.find(([id]) => id === r.page)?.[1] || 'Not found';
  document.title = `${r.id || label} · imserver console`;
  if (r.page === 'overview') stopPage = overviewPage(main);
  else if (r.page === 'users') r.id ? userPage(main, r.id, r.tab) : usersPage(main);
  else if (r.page === 'groups' || r.page === 'chatrooms') {
    const kind = r.page === 'groups' ? 'group' : 'chatroom';
    if (r.id) roomPage(main, kind, r.id, r.tab);
    else roomsPage(main, kind);
  } else if (r.page === 'callbacks') callbacksPage(main);
  else main.append(h('h1', { text: 'Not found' }), h('p', null, h('a', { href: '#/overview', text: 'Back to the overview' })));
}

window.addEventListener('hashchange', render);
window.addEventListener('console:signed-out', (e) => {
  signOutReason = e.detail || '';
  render();
});
render();
