// Audit: a timeline filtered by the app (cluster, namespace, target, rule, decision, kind, time,
// run) one page at a time with the API's `next` cursor: the browser never holds more than a page.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html, useApi, ErrorLine, when } from './ui.js';

const FIELDS = [
  ['cluster', 'Cluster'],
  ['namespace', 'Namespace'],
  ['target', 'Target'],
  ['rule', 'Rule'],
  ['decision', 'Decision'],
  ['kind', 'Kind'],
  ['instanceId', 'Run'],
  ['since', 'Since'],
  ['until', 'Until'],
];

export function AuditPage({ params }) {
  const initial = Object.fromEntries(FIELDS.map(([k]) => [k, params.get(k) ?? (k === 'since' ? '7d' : '')]));
  const [form, setForm] = useState(initial);
  const [applied, setApplied] = useState(initial);
  const [cursors, setCursors] = useState(['']); // cursor of each page seen; last = current
  const query = () => {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, v] of Object.entries(applied)) if (v) q.set(k, v);
    const cursor = cursors.at(-1);
    if (cursor) q.set('cursor', cursor);
    return q.toString();
  };
  const { data, error } = useApi(() => api(`/api/audit?${query()}`), [applied, cursors]);
  const submit = (e) => {
    e.preventDefault();
    setApplied({ ...form });
    setCursors(['']);
  };
  return html`<h2>Audit</h2>
    <form class="filters" onSubmit=${submit} aria-label="Audit filters">
      ${FIELDS.map(([k, label]) => html`<label>${label}<input name=${k} value=${form[k]} size=${k === 'target' || k === 'instanceId' ? 28 : 12} onInput=${(e) => setForm({ ...form, [k]: e.target.value })} placeholder=${k === 'since' || k === 'until' ? '24h, 2025-03-01' : ''} /></label>`)}
      <button class="primary" type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${
      data
        ? html`<p class="muted" role="status">
              Page ${cursors.length}: ${data.items.length} record(s) from ${when(data.since)} to
              ${when(data.until)}${data.truncated ? ', more on the next page' : ''}
            </p>
            <table data-testid="audit">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Kind</th>
                  <th>Actor</th>
                  <th>Target</th>
                  <th>Rule</th>
                  <th>Decision</th>
                  <th>Result</th>
                  <th>Run</th>
                </tr>
              </thead>
              <tbody>
                ${data.items.map(
                  (r) =>
                    html`<tr key=${r.id}>
                      <td>${when(r.at)}</td>
                      <td>${r.kind}</td>
                      <td>${r.actor}</td>
                      <td><code>${r.target ?? ''}</code></td>
                      <td>${r.rule ?? ''}</td>
                      <td>${r.decision ?? ''}</td>
                      <td>${r.result ?? r.error ?? ''}</td>
                      <td>${r.instanceId ? html`<a href=${`#/audit?instanceId=${encodeURIComponent(r.instanceId)}&since=30d`}>${r.instanceId}</a>` : ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <div>
              <button disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>${' '}
              <button disabled=${!data.next} onClick=${() => setCursors([...cursors, data.next])}>Next page</button>
            </div>`
        : null
    }`;
}
