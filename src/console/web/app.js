// The console shell: a hash router over six pages, a settings panel (function key, local name),
// and shared hooks. Preact + htm: no build step; files are served as-is by GET /api/console/{path}.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './ui.js';
import { session } from './api.js';
import { NowPage } from './page-now.js';
import { AuditPage } from './page-audit.js';
import { BackupsPage } from './page-backups.js';
import { BudgetsPage, RotationsPage } from './page-budgets-rotations.js';
import { ScalingPage } from './page-scaling.js';

const PAGES = [
  ['now', 'Now', NowPage],
  ['audit', 'Audit', AuditPage],
  ['backups', 'Backups', BackupsPage],
  ['budgets', 'Budgets', BudgetsPage],
  ['scaling', 'Scaling', ScalingPage],
  ['rotations', 'Rotations', RotationsPage],
];

function parseHash() {
  const [page, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { page: PAGES.some((p) => p[0] === page) ? page : 'now', params: new URLSearchParams(query) };
}

function Settings() {
  const [key, setKey] = useState(session.key);
  const [user, setUser] = useState(session.user);
  const [open, setOpen] = useState(false);
  if (!open) return html`<button onClick=${() => setOpen(true)} aria-expanded="false">Settings</button>`;
  return html`<form
    class="filters"
    onSubmit=${(e) => {
      e.preventDefault();
      session.key = key;
      session.user = user;
      setOpen(false);
      location.reload();
    }}
  >
    <label>Function key (this tab only)<input type="password" value=${key} onInput=${(e) => setKey(e.target.value)} autocomplete="off" /></label>
    <label>Your name (local development; Easy Auth in Azure)<input value=${user} onInput=${(e) => setUser(e.target.value)} /></label>
    <button class="primary" type="submit">Save</button>
  </form>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const page = PAGES.find((p) => p[0] === route.page);
  useEffect(() => {
    document.title = `${page[1]} · aksops console`;
  }, [page]);
  return html` <header>
      <h1>aksops</h1>
      <nav aria-label="Pages">${PAGES.map(([id, label]) => html`<a href="#/${id}" aria-current=${id === route.page ? 'page' : undefined}>${label}</a>`)}</nav>
      <${Settings} />
    </header>
    <main id="main">${h(page[2], { params: route.params })}</main>`;
}

const root = document.getElementById('root');
root.textContent = ''; // drop the "Loading" placeholder (render appends)
render(html`<${App} />`, root);
