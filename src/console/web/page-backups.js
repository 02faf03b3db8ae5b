// Backups: the list with status, items and warnings; one backup's manifest (parts, items); start a
// backup. Verification runs on schedule and with `aksops backup verify ID` (no HTTP route yet).
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { html, useApi, ErrorLine, when } from './ui.js';

function Manifest({ id, cluster }) {
  const { data, error } = useApi(() => api(`/api/backups/${encodeURIComponent(id)}?cluster=${encodeURIComponent(cluster)}&items=true`), [id]);
  if (!data) return html`<${ErrorLine} error=${error} />`;
  const { items = [], ...rest } = data;
  return html`<section class="card" data-testid="manifest" aria-label=${`Manifest of ${id}`}>
    <h3>Manifest of ${id}</h3>
    <p>
      ${rest.status ?? 'complete'} · ${rest.itemCount ?? items.length} items · started ${when(rest.startedAt)} · finished ${when(rest.finishedAt)} · by
      ${rest.requestedBy ?? ''}
    </p>
    ${
      (rest.warnings ?? []).length
        ? html`<ul class="warn">
            ${rest.warnings.map((w) => html`<li>${w}</li>`)}
          </ul>`
        : null
    }
    <p class="muted">${rest.manifestPath ?? ''}</p>
    <table>
      <thead>
        <tr>
          <th>Type</th>
          <th>Name</th>
          <th>Namespace</th>
          <th class="num">Objects</th>
          <th class="num">Bytes</th>
          <th>SHA-256</th>
        </tr>
      </thead>
      <tbody>
        ${items.slice(0, 500).map(
          (it, i) =>
            html`<tr key=${i}>
              <td>${it.type}</td>
              <td>${it.name ?? it.resource ?? it.path ?? ''}</td>
              <td>${it.namespace ?? ''}</td>
              <td class="num">${it.count ?? it.objects ?? ''}</td>
              <td class="num">${it.bytes ?? it.size ?? ''}</td>
              <td><code>${(it.sha256 ?? '').slice(0, 16)}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function BackupsPage() {
  const { data, error, refresh } = useApi(() => api('/api/backups'));
  const [open, setOpen] = useState();
  const [started, setStarted] = useState();
  const [failed, setFailed] = useState();
  const start = async (cluster) => {
    try {
      setStarted(await api('/api/backups', { method: 'POST', body: { cluster } }));
      refresh();
    } catch (e) {
      setFailed(e);
    }
  };
  const clusters = [...new Set((data?.items ?? []).map((b) => b.cluster))];
  return html`<h2>Backups</h2>
    <${ErrorLine} error=${error || failed} />
    ${clusters.map((c) => html`<button onClick=${() => start(c)}>Back up ${c} now</button> `)}
    ${started ? html`<p class="ok" role="status">Started ${started.input?.backupId} (${started.result})</p>` : null}
    <table data-testid="backups">
      <thead>
        <tr>
          <th>Backup</th>
          <th>Cluster</th>
          <th>Status</th>
          <th>Verified</th>
          <th class="num">Items</th>
          <th class="num">Bytes</th>
          <th>Warnings</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.items ?? []).map(
          (b) =>
            html`<tr key=${b.backupId}>
              <td><button onClick=${() => setOpen(b)} aria-label=${`Open manifest of ${b.backupId}`}>${b.backupId}</button></td>
              <td>${b.cluster}</td>
              <td>${b.status}</td>
              <td>
                ${b.verified === true || b.verify?.ok === true ? html`<span class="ok">yes</span>` : b.verified === false || b.verify?.ok === false ? html`<span class="bad">failed</span>` : html`<span class="muted">not yet</span>`}
              </td>
              <td class="num">${b.items ?? ''}</td>
              <td class="num">${b.bytes ?? b.size ?? ''}</td>
              <td>${(b.warnings ?? []).length || ''}</td>
              <td>${when(b.startedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${open ? html`<${Manifest} id=${open.backupId} cluster=${open.cluster} />` : html`<p class="muted">Open a backup to read its manifest. Restores: aksops restore --backup ID (dry-run first).</p>`}`;
}
