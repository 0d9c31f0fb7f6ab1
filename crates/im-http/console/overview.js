// Overview: the app's counts, the database in use, and request and error rates from /metrics.

import { get, plain } from './api.js';
import { h, clear, pageHead } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const POINTS = 30;
const EVERY_MS = 5000;

function svg(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** Sums `http_requests_total` over all series: all requests, and those answered 4xx or 5xx. */
export function requestTotals(text) {
  let all = 0;
  let errors = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    all += value;
    const m = line.match(/status="(\d{3})"/);
    if (m && Number(m[1]) >= 400) errors += value;
  }
  return { all, errors };
}

function drawChart(box, samples) {
  const w = 600;
  const hgt = 140;
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none', role: 'img' });
  const rates = samples.slice(1).map((s, i) => {
    const dt = (s.at - samples[i].at) / 1000 || 1;
    return { req: Math.max(0, (s.all - samples[i].all) / dt), err: Math.max(0, (s.errors - samples[i].errors) / dt) };
  });
  const peak = Math.max(0, ...rates.map((r) => r.req));
  const top = Math.max(1, peak);
  for (const f of [0.25, 0.5, 0.75]) chart.append(svg('line', { class: 'grid', x1: 0, x2: w, y1: hgt * f, y2: hgt * f }));
  const line = (key, cls) => {
    if (!rates.length) return;
    // One interval is drawn as a flat segment across it.
    const shown = rates.length === 1 ? [rates[0], rates[0]] : rates;
    const pts = shown.map((r, i) => `${(i / (POINTS - 2)) * w},${hgt - 4 - (r[key] / top) * (hgt - 12)}`).join(' ');
    chart.append(svg('polyline', { class: cls, points: pts }));
  };
  line('req', 'req');
  line('err', 'err');
  const last = rates[rates.length - 1];
  const summary = last
    ? `Last ${Math.round(((rates.length) * EVERY_MS) / 1000)} s: ${last.req.toFixed(2)} requests/s now, ${last.err.toFixed(2)} errors/s; peak ${peak.toFixed(2)} requests/s.`
    : 'Collecting samples every 5 seconds…';
  chart.append(Object.assign(svg('title', {}), { textContent: summary }));
  clear(box, chart, h('p', { class: 'muted', id: 'rate-summary', text: summary }));
}

export function overviewPage(main) {
  const cards = ['users', 'groups', 'chatrooms', 'threads'].map((k) => {
    const value = h('div', { class: 'value', id: `count-${k}`, text: '…' });
    return { k, value, node: h('a', { class: 'card', href: k === 'threads' ? '#/groups' : `#/${k}` },
      h('div', { class: 'label', text: k[0].toUpperCase() + k.slice(1) }), value) };
  });
  const database = h('dd', { id: 'database', text: '…' });
  const totals = h('dd', { id: 'request-totals', text: '…' });
  const chartBox = h('div', { class: 'chart-box' }, h('p', { class: 'muted', text: 'Collecting samples every 5 seconds…' }));
  const error = h('div', { role: 'alert' });
  main.append(
    pageHead('Overview'),
    error,
    h('div', { class: 'cards' }, cards.map((c) => c.node)),
    h('section', { class: 'panel', 'aria-labelledby': 'rates-title' },
      h('h2', { id: 'rates-title', text: 'Requests and errors per second' }),
      h('div', { class: 'legend' }, h('span', null, h('span', { class: 'dot req' }), 'Requests'),
        h('span', null, h('span', { class: 'dot err' }), 'Errors (4xx and 5xx)')),
      chartBox),
    h('section', { class: 'panel', 'aria-labelledby': 'server-title' },
      h('h2', { id: 'server-title', text: 'Server' }),
      h('dl', { class: 'props' }, h('dt', { text: 'Database' }), database,
        h('dt', { text: 'Requests since start' }), totals)));

  get('/counts').then((r) => {
    for (const c of cards) c.value.textContent = Number(r.data[c.k]).toLocaleString();
  }).catch((e) => {
    if (e.status !== 401) clear(error, h('div', { class: 'notice error', text: e.message }));
  });
  plain('/ready').then((r) => r.json()).then((b) => {
    database.textContent = `${b.database || 'unknown'}${b.status === 'ok' ? '' : ' (not answering)'}`;
  }).catch((e) => { database.textContent = e.message; });

  const samples = [];
  let stopped = false;
  async function sample() {
    try {
      const text = await (await plain('/metrics')).text();
      if (stopped) return;
      const t = requestTotals(text);
      samples.push({ at: Date.now(), ...t });
      if (samples.length > POINTS) samples.shift();
      totals.textContent = `${t.all.toLocaleString()} requests, ${t.errors.toLocaleString()} answered with an error`;
      drawChart(chartBox, samples);
    } catch (e) {
      totals.textContent = e.message;
    }
  }
  sample();
  const timer = setInterval(sample, EVERY_MS);
  return () => { stopped = true; clearInterval(timer); };
}
