// The console in a real browser: headless Chromium (Debian's package) driven by playwright-core,
// against the imserver that run.sh started on a fresh database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.CONSOLE_BASE;
const ORG = process.env.CONSOLE_ORG;
const APP = process.env.CONSOLE_APP;
const ID = process.env.CONSOLE_CLIENT_ID;
const SECRET = process.env.CONSOLE_CLIENT_SECRET;
const SHOTS = process.env.CONSOLE_SCREENSHOTS;
const XSS = '<img src=x onerror=alert(1)>';

let context;
let profile;
let token;

async function api(method, path, body, auth = token) {
  const res = await fetch(`${BASE}/${ORG}/${APP}${path}`, {
    method,
    headers: { ...(auth ? { Authorization: `Bearer ${auth}` } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  assert.ok(BASE && ID && SECRET, 'run through run.sh, which starts the server');
  profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const r = await api('POST', '/token', { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }, null);
  assert.equal(r.status, 200);
  token = r.body.access_token;
  const users = ['amy', 'bob', 'cat', 'dan', 'eve'].map((u) => ({ username: u, password: `pw-${u}` }));
  assert.equal((await api('POST', '/users', users)).status, 200);
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A new tab with its own session storage, watching for script dialogs and page errors. */
async function newPage() {
  const page = await context.newPage();
  page.alerts = [];
  page.errors = [];
  page.on('dialog', (d) => { page.alerts.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

async function signIn(page, secret = SECRET) {
  await page.goto(`${BASE}/console`);
  await page.getByLabel('Organization').fill(ORG);
  await page.getByLabel('App', { exact: true }).fill(APP);
  await page.getByLabel('Client ID').fill(ID);
  await page.getByLabel('Client secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signedIn(hash = '#/overview') {
  const page = await newPage();
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  if (hash) await page.evaluate((h) => { location.hash = h; }, hash);
  return page;
}

const dialog = (page) => page.locator('dialog[open]');

async function fillDialog(page, values, submit) {
  const d = dialog(page);
  for (const [label, v] of Object.entries(values)) {
    const field = d.getByLabel(label, { exact: true });
    if (typeof v === 'boolean') await field.setChecked(v);
    else await field.fill(v);
  }
  await d.getByRole('button', { name: submit, exact: true }).click();
}

const row = (page, text) => page.locator('tbody tr', { hasText: text });

test('sign-in refuses a wrong secret with the API text, then keeps the token in the tab only', async () => {
  const page = await newPage();
  const res = await page.goto(`${BASE}/console`);
  const h = res.headers();
  assert.match(h['content-security-policy'], /script-src 'self'/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
  assert.equal(h['x-frame-options'], 'DENY');
  assert.equal(h['x-content-type-options'], 'nosniff');
  await signIn(page, 'wrong-secret');
  await page.locator('#signin-error').filter({ hasText: /\S/ }).waitFor();
  assert.notEqual((await page.locator('#signin-error').textContent()).trim(), '');
  await signIn(page);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const stored = await page.evaluate(() => ({
    session: Object.keys(sessionStorage), local: localStorage.length, cookie: document.cookie, url: location.href,
  }));
  assert.equal(stored.session.length, 1);
  assert.equal(stored.local, 0);
  assert.equal(stored.cookie, '');
  assert.ok(!stored.url.includes('eyJ'), stored.url);
  assert.deepEqual((await context.cookies()).length, 0);
  // Another tab has its own session: it must sign in.
  const other = await newPage();
  await other.goto(`${BASE}/console#/users`);
  await other.getByRole('button', { name: 'Sign in' }).waitFor();
  await other.close();
  await page.close();
});

test('the keyboard alone signs in, opens a dialog and closes it', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/console`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // The first empty field has the focus; the others are reached with Tab.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'client_id');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'org');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(ORG);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(APP);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ID);
  await page.keyboard.press('Tab');
  await page.keyboard.type(SECRET);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.evaluate(() => { location.hash = '#/users'; });
  await page.getByRole('button', { name: 'Create user' }).focus();
  await page.keyboard.press('Enter');
  await dialog(page).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'username');
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  await page.close();
});

test('the overview shows the counts, the database and the request chart', async () => {
  const page = await signedIn('#/overview');
  await page.locator('#count-users').filter({ hasText: /^\d/ }).waitFor();
  assert.equal(await page.locator('#count-users').textContent(), '5');
  await page.locator('#database').filter({ hasText: 'configured' }).waitFor();
  await page.locator('#rate-summary').filter({ hasText: 'requests/s' }).waitFor({ timeout: 15000 });
  assert.equal(await page.locator('svg.chart polyline').count(), 2);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('users: create, search, ban (the user token is refused), unban, password, nickname, attributes, delete', async () => {
  const page = await signedIn('#/users');
  await page.getByRole('button', { name: 'Create user' }).click();
  await fillDialog(page, { Username: 'zoe', Password: 'pw-zoe', 'Nickname (optional)': 'Zoe' }, 'Create');
  await row(page, 'zoe').waitFor();
  // Taken names are refused with the API's text.
  await page.getByRole('button', { name: 'Create user' }).click();
  await fillDialog(page, { Username: 'zoe', Password: 'x' }, 'Create');
  await dialog(page).locator('.error-text').filter({ hasText: /\S/ }).waitFor();
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();

  await page.getByLabel('Find a user by exact username').fill('ghost');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.notice.error', { hasText: 'No user “ghost”' }).waitFor();
  await page.getByLabel('Find a user by exact username').fill('zoe');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { name: 'zoe', exact: true }).waitFor();

  assert.equal((await api('POST', '/token', { grant_type: 'password', username: 'zoe', password: 'pw-zoe' }, null)).status, 200);
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await dialog(page).getByRole('button', { name: 'Ban' }).click();
  await page.locator('.badge', { hasText: 'Banned' }).waitFor();
  const refused = await api('POST', '/token', { grant_type: 'password', username: 'zoe', password: 'pw-zoe' }, null);
  assert.notEqual(refused.status, 200, JSON.stringify(refused.body));
  await page.getByRole('button', { name: 'Unban' }).click();
  await page.locator('.badge', { hasText: 'Active' }).waitFor();

  await page.getByRole('button', { name: 'Reset password' }).click();
  await fillDialog(page, { 'New password': 'new-pw' }, 'Set password');
  await page.locator('.toast', { hasText: 'Password changed.' }).waitFor();
  assert.equal((await api('POST', '/token', { grant_type: 'password', username: 'zoe', password: 'new-pw' }, null)).status, 200);

  await page.getByRole('button', { name: 'Set nickname' }).click();
  await fillDialog(page, { Nickname: 'Zoë' }, 'Save');
  await page.locator('dd', { hasText: 'Zoë' }).waitFor();

  await page.getByRole('tab', { name: 'Attributes' }).click();
  await page.getByRole('button', { name: 'Set attribute' }).click();
  await fillDialog(page, { Key: 'city', Value: XSS }, 'Save');
  await row(page, 'city').waitFor();
  assert.equal(await row(page, 'city').locator('td').nth(1).textContent(), XSS);

  await page.getByRole('tab', { name: 'Global mutes' }).click();
  await page.getByRole('button', { name: 'Change global mutes' }).click();
  await fillDialog(page, { 'Groups (seconds)': '600' }, 'Save');
  await page.locator('dd', { hasText: /s left/ }).waitFor();

  await page.getByRole('button', { name: 'Force offline' }).click();
  await dialog(page).getByRole('button', { name: 'Force offline' }).click();
  await page.locator('.toast', { hasText: 'zoe is offline.' }).waitFor();

  // Deleting names the rooms that go with the user.
  const g = await api('POST', '/chatgroups', { groupname: 'zoe-club', description: 'd', public: true, owner: 'zoe' });
  assert.equal(g.status, 200);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await dialog(page).locator('li', { hasText: 'zoe-club' }).waitFor();
  await dialog(page).getByRole('button', { name: 'Delete user' }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  assert.equal((await api('GET', '/users/zoe')).status, 404);
  assert.equal((await api('GET', `/chatgroups/${g.body.data.groupid}`)).status, 404);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('groups: create with members, mute one, kick one, and see the lists change', async () => {
  const page = await signedIn('#/groups');
  await page.getByRole('button', { name: 'Create group' }).click();
  await fillDialog(page, {
    Name: 'Hikers', Description: 'Weekend walks', 'Owner (username)': 'amy',
    'Members (usernames, comma or space separated)': 'bob, cat dan',
  }, 'Create');
  await page.getByRole('heading', { name: 'Hikers' }).waitFor();
  const members = page.getByRole('tabpanel');
  for (const u of ['amy', 'bob', 'cat', 'dan']) await row(members, u).waitFor();
  assert.equal(await members.locator('tbody tr').count(), 4);
  await row(members, 'amy').getByText('Owner').waitFor();

  await row(members, 'cat').getByRole('button', { name: 'Mute' }).click();
  await fillDialog(page, { Minutes: '30' }, 'Mute');
  await page.locator('.toast', { hasText: 'Muted.' }).waitFor();
  await row(members, 'dan').getByRole('button', { name: 'Remove' }).click();
  await dialog(page).getByRole('button', { name: 'Remove' }).click();
  await page.locator('.toast', { hasText: 'dan removed.' }).waitFor();
  await members.locator('tbody tr').nth(2).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[role=tabpanel] tbody tr').length === 3);
  assert.equal(await row(members, 'dan').count(), 0);

  await page.getByRole('tab', { name: 'Mutes' }).click();
  await row(page, 'cat').waitFor();
  assert.match(await row(page, 'cat').locator('td').nth(1).textContent(), /^(29|30)m/);

  await page.getByRole('tab', { name: 'Admins' }).click();
  await page.getByRole('button', { name: 'Add admin' }).click();
  await fillDialog(page, { 'Member (username)': 'dan' }, 'Add');
  // A refusal shows the API's own text.
  await dialog(page).locator('.error-text', { hasText: 'dan' }).waitFor();
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('tab', { name: 'Announcement' }).click();
  await page.getByLabel('New announcement').fill('Meet at 9');
  await page.getByRole('button', { name: 'Save announcement' }).click();
  await page.locator('.announcement', { hasText: 'Meet at 9' }).waitFor();

  await page.getByRole('tab', { name: 'Threads' }).click();
  await page.getByText('This group has no threads.').waitFor();
  await page.getByRole('button', { name: 'Create thread' }).click();
  await fillDialog(page, { Name: 'Sunday route', 'Owner (a group member)': 'bob', 'Message id it starts from': 'm1' }, 'Create');
  await row(page, 'Sunday route').getByRole('button', { name: 'Members', exact: true }).click();
  await dialog(page).locator('tbody tr', { hasText: 'bob' }).waitFor();
  await dialog(page).getByRole('button', { name: 'Close' }).click();

  // Blocking a member removes it; the block list and the allowlist add and remove by name.
  await page.getByRole('tab', { name: 'Blocks' }).click();
  await page.getByText('Nobody is blocked.').waitFor();
  await page.getByRole('button', { name: 'Block users' }).click();
  await fillDialog(page, { Usernames: 'bob' }, 'Block');
  await page.locator('.toast', { hasText: 'Blocked.' }).waitFor();
  await row(page, 'bob').getByRole('button', { name: 'Unblock' }).click();
  await page.locator('.toast', { hasText: 'bob is unblocked.' }).waitFor();
  await page.getByText('Nobody is blocked.').waitFor();
  await page.getByRole('tab', { name: 'Allowlist' }).click();
  await page.getByText('The allowlist is empty.').waitFor();
  await page.getByRole('button', { name: 'Add to allowlist' }).click();
  await fillDialog(page, { 'Members (usernames)': 'amy cat' }, 'Add');
  await page.locator('.toast', { hasText: 'Added to the allowlist.' }).waitFor();
  for (const u of ['amy', 'cat']) await row(page, u).waitFor();
  await row(page, 'cat').getByRole('button', { name: 'Remove' }).click();
  await page.locator('.toast', { hasText: 'cat is off the allowlist.' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[role=tabpanel] tbody tr').length === 1);
  await page.getByRole('tab', { name: 'Members' }).click();
  await row(members, 'amy').waitFor();
  assert.equal(await row(members, 'bob').count(), 0);

  await page.getByRole('button', { name: 'Disable', exact: true }).click();
  await dialog(page).getByRole('button', { name: 'Disable' }).click();
  await page.locator('.badge', { hasText: 'Disabled' }).waitFor();
  await page.getByRole('button', { name: 'Enable', exact: true }).click();
  await page.getByRole('button', { name: 'Disable', exact: true }).waitFor();
  assert.equal(await page.locator('.badge', { hasText: 'Disabled' }).count(), 0);

  await page.getByRole('link', { name: 'Groups' }).first().click();
  await row(page, 'Hikers').waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a chatroom that is full refuses an add with the API text', async () => {
  const r = await api('POST', '/chatrooms', { name: 'Tiny', description: 'two seats', maxusers: 2, owner: 'amy', members: ['bob'] });
  assert.equal(r.status, 200);
  const page = await signedIn(`#/chatrooms/${r.body.data.id}`);
  await page.getByRole('heading', { name: 'Tiny' }).waitFor();
  await page.getByRole('button', { name: 'Add members' }).click();
  await fillDialog(page, { 'Usernames (comma or space separated)': 'cat' }, 'Add');
  await dialog(page).locator('.error-text', { hasText: 'members size is greater than max user size' }).waitFor();
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('tab', { name: 'Attributes' }).click();
  await page.getByRole('button', { name: 'Set attribute' }).click();
  await fillDialog(page, { Key: 'topic', Value: 'rivers' }, 'Save');
  await row(page, 'topic').waitFor();
  await page.close();
});

test('group shared files: upload, download the same bytes, delete', async () => {
  const g = await api('POST', '/chatgroups', { groupname: 'Files', description: 'd', public: true, owner: 'amy' });
  const page = await signedIn(`#/groups/${g.body.data.groupid}/files`);
  await page.getByRole('button', { name: 'Upload file' }).click();
  const content = 'hello from the console\n';
  await dialog(page).getByLabel('File').setInputFiles({ name: `${XSS}.txt`, mimeType: 'text/plain', buffer: Buffer.from(content) });
  await dialog(page).getByRole('button', { name: 'Upload' }).click();
  await row(page, '.txt').waitFor();
  assert.equal(await row(page, '.txt').locator('td').first().textContent(), `${XSS}.txt`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row(page, '.txt').getByRole('button', { name: 'Download' }).click(),
  ]);
  assert.equal(download.suggestedFilename().endsWith('.txt'), true);
  assert.equal(await readFile(await download.path(), 'utf8'), content);
  await row(page, '.txt').getByRole('button', { name: 'Delete' }).click();
  await dialog(page).getByRole('button', { name: 'Delete file' }).click();
  await page.getByText('No shared files.').waitFor();
  // Deleting the group asks first, then the list no longer has it.
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await dialog(page).getByRole('button', { name: 'Delete group' }).click();
  await page.getByRole('heading', { name: 'Groups' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await row(page, 'Files').count(), 0);
  assert.equal((await api('GET', `/chatgroups/${g.body.data.groupid}`)).status, 404);
  assert.deepEqual(page.alerts, []);
  await page.close();
});

test('user-controlled text is shown as text and runs nothing', async () => {
  const g = await api('POST', '/chatgroups', { groupname: XSS, description: XSS, public: true, owner: 'amy', members: ['bob'], custom: XSS });
  assert.equal(g.status, 200);
  const id = g.body.data.groupid;
  assert.equal((await api('POST', `/chatgroups/${id}/announcement`, { announcement: XSS })).status, 200);
  const page = await signedIn('#/groups');
  await row(page, id).waitFor();
  assert.equal(await row(page, id).locator('td').first().textContent(), XSS);
  await page.goto(`${BASE}/console#/groups/${id}`);
  await page.getByRole('heading', { name: XSS }).waitFor();
  await page.locator('dd', { hasText: XSS }).first().waitFor();
  await page.getByRole('tab', { name: 'Announcement' }).click();
  await page.locator('.announcement', { hasText: XSS }).waitFor();
  await page.waitForTimeout(300);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.deepEqual(page.alerts, []);
  // Inline script is refused by the page's policy even if it were injected.
  const blocked = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__ran = true';
    document.body.append(s);
    return window.__ran === true;
  });
  assert.equal(blocked, false);
  await page.close();
});

test('callbacks: add a rule (secret shown once), disable it, and the dead letters', async () => {
  const page = await signedIn('#/callbacks');
  await page.getByText('No callback rules: no events are sent.').waitFor();
  await page.getByText('No dead letters: every event').waitFor();
  await page.getByRole('button', { name: 'Add rule' }).click();
  await fillDialog(page, { URL: 'http://127.0.0.1:9/im-events', 'Operations (optional)': 'join, leave' }, 'Add rule');
  await page.locator('#new-secret').filter({ hasText: /\S{8,}/ }).waitFor();
  await dialog(page).getByRole('button', { name: 'Done' }).click();
  await row(page, '127.0.0.1:9').getByText('Enabled').waitFor();
  assert.match(await row(page, '127.0.0.1:9').textContent(), /JOIN, LEAVE/);
  await row(page, '127.0.0.1:9').getByRole('button', { name: 'Disable' }).click();
  await dialog(page).getByRole('button', { name: 'Disable' }).click();
  await row(page, '127.0.0.1:9').getByText('Disabled').waitFor();
  // A refusal shows the API's text.
  await page.getByRole('button', { name: 'Add rule' }).click();
  await fillDialog(page, { URL: 'ftp://nope', 'Secret (optional)': 'short' }, 'Add rule');
  await dialog(page).locator('.error-text').filter({ hasText: /\S/ }).waitFor();
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  await page.close();
});

test('an expired token sends the user back to sign in', async () => {
  const r = await api('POST', '/token', { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET, ttl: 1 }, null);
  assert.equal(r.status, 200);
  const page = await signedIn('#/overview');
  await page.evaluate((t) => {
    const key = Object.keys(sessionStorage)[0];
    const s = JSON.parse(sessionStorage.getItem(key));
    // The server's clock decides: the console's own expiry guess is pushed out of the way.
    sessionStorage.setItem(key, JSON.stringify({ ...s, token: t, expires: Date.now() + 3600000 }));
  }, r.body.access_token);
  await page.waitForTimeout(2100);
  await page.evaluate(() => { location.hash = '#/users'; });
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.match(await page.locator('#signin-error').textContent(), /session ended/i);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.close();
});

test('sign-out forgets the token', async () => {
  const page = await signedIn('#/users');
  await row(page, 'amy').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.goBack();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('tbody tr').count(), 0);
  await page.close();
});

test('screenshots of every page at desktop and phone width', async () => {
  const g = await api('GET', '/chatgroups?limit=100');
  const c = await api('GET', '/chatrooms?limit=100');
  const group = g.body.data.find((x) => x.groupname === 'Hikers').groupid;
  const room = c.body.data.find((x) => x.name === 'Tiny').id;
  const pages = [
    ['overview', '#/overview', '#rate-summary'],
    ['users', '#/users', 'tbody tr'],
    ['user', '#/users/amy', '[role=tabpanel] tbody tr'],
    ['groups', '#/groups', 'tbody tr'],
    ['group', `#/groups/${group}`, '[role=tabpanel] tbody tr'],
    ['chatrooms', '#/chatrooms', 'tbody tr'],
    ['chatroom', `#/chatrooms/${room}`, '[role=tabpanel] tbody tr'],
    ['callbacks', '#/callbacks', 'tbody tr'],
  ];
  for (const [size, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    const page = await newPage();
    await page.setViewportSize(viewport);
    await page.goto(`${BASE}/console`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.screenshot({ path: join(SHOTS, `signin-${size}.png`) });
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    for (const [name, hash, ready] of pages) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.locator(ready).first().waitFor();
      if (name === 'overview') await page.locator('#rate-summary').filter({ hasText: 'requests/s' }).waitFor({ timeout: 15000 });
      await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: size === 'desktop' });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name} at ${size} width is ${overflow}px wider than the screen`);
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});
