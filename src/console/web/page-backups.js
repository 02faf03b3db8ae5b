// Backups: the list with status, items and warnings; one backup's manifest (parts, items); start a
// backup (a cluster, optionally some namespaces) and see it running; verify one backup and read
// the verdict (verified, or failed with the damaged items).
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { RunsTable } from './page-now.js';
import { html, useApi, ErrorLine, when } from './ui.js';

function Manifest({ id, cluster }) {
  const { data, error } = useApi(() => api(`/api/backups/${encodeURIComponent(id)}?cluster=${encodeURIComponent(cluster)}&items=true`), [id]);
  if (!data) return html`<${ErrorLine} error=${error} />`;
  const { items = [], ...rest } = data;
  return html`<section class="card" data-testid="manifest" aria-label=${`Manifest of ${id}`}>
    <h3>Manifest of ${id}</h3>
    <p>
      ${rest.status ?? 'complete'} · ${rest.itemCount ?? items.length} items · started ${when(rest.startedAt)} · finished ${when(rest.finishedAt)}
      ${rest.requestedBy ? ` · by ${rest.requestedBy}` : ''}
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

/** POST /api/backups/{id}/verify, then polls GET /api/verifications/{id} until the verdict (1 s, at most 10 min). */
async function verify(b, onState) {
  onState({ state: 'running', reason: 'verifying: re-reading every item' });
  try {
    const started = await api(`/api/backups/${encodeURIComponent(b.backupId)}/verify`, { method: 'POST', body: { cluster: b.cluster } });
    for (let i = 0; i < 600; i++) {
      const s = await api(started.statusUri);
      if (s.verdict) return onState({ state: s.verdict.ok ? 'verified' : 'failed', reason: s.verdict.reason });
      if (['Failed', 'Terminated'].includes(s.runtimeStatus)) return onState({ state: 'failed', reason: `the verification ${s.runtimeStatus.toLowerCase()}` });
      await new Promise((r) => setTimeout(r, 1000));
    }
    onState({ state: 'failed', reason: `no verdict after 10 minutes: ${started.instanceId} (Now page)` });
  } catch (e) {
    onState({ state: 'failed', reason: e.message });
  }
}

/** This session's verify, else the newest verification in the audit (scheduled or on demand). */
const lastVerified = (b) =>
  b.lastVerification && {
    state: b.lastVerification.ok ? 'verified' : 'failed',
    reason: `${b.lastVerification.reason} (${when(b.lastVerification.at)}, ${b.lastVerification.by})`,
  };

const VerifyCell = ({ result }) =>
  result
    ? html`<span class=${result.state === 'verified' ? 'ok' : result.state === 'failed' ? 'bad' : 'muted'} data-testid="verify-result">${result.state}</span>
        <div class="muted">${result.reason}</div>`
    : html`<span class="muted">not yet</span>`;

/** Start a backup of one cluster (all parts, or the namespaces given) and the backups running now (from GET /api/runs). */
function StartBackup({ clusters, onStarted }) {
  const [cluster, setCluster] = useState('');
  const [namespaces, setNamespaces] = useState('');
  const [out, setOut] = useState();
  const submit = async (e) => {
    e.preventDefault();
    const ns = namespaces.split(/[\s,]+/).filter(Boolean);
    try {
      const r = await api('/api/backups', { method: 'POST', body: { cluster: cluster || clusters[0], ...(ns.length ? { namespaces: ns } : {}) } });
      setOut({ ok: `Started ${r.input?.backupId} (${r.result})` });
      onStarted();
    } catch (err) {
      setOut({ error: err });
    }
  };
  return html`<form class="filters" onSubmit=${submit} aria-label="Start a backup">
      <label
        >Cluster<select value=${cluster || clusters[0]} onChange=${(e) => setCluster(e.target.value)}>
          ${clusters.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label
      >
      <label>Namespaces (empty: everything)<input value=${namespaces} onInput=${(e) => setNamespaces(e.target.value)} placeholder="shop, payments" /></label>
      <button class="primary" type="submit">Start backup</button>
    </form>
    ${out?.ok ? html`<p class="ok" role="status">${out.ok}</p>` : html`<${ErrorLine} error=${out?.error} />`}`;
}

export function BackupsPage() {
  const { data, error, refresh } = useApi(() => api('/api/backups'));
  const overview = useApi(() => api('/api/overview'));
  const running = useApi(() => api('/api/runs'), [], 5000);
  const [open, setOpen] = useState();
  const [verified, setVerified] = useState({});
  const clusters = overview.data?.backupClusters ?? [];
  const live = (running.data?.items ?? []).filter((r) => r.orchestration === 'backup' || r.orchestration === 'backupVerification');
  return html`<h2>Backups</h2>
    <${ErrorLine} error=${error || overview.error} />
    ${(data?.warnings ?? []).map((w) => html`<p class="error" role="alert">${w}</p>`)}
    ${clusters.length ? html`<${StartBackup} clusters=${clusters} onStarted=${() => (refresh(), running.refresh())} />` : null}
    ${
      live.length
        ? html`<h3>Running now</h3>
            <${RunsTable} runs=${live} testid="running-backups" />`
        : null
    }
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
          <th>Check</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.items ?? []).map(
          (b) =>
            html`<tr key=${b.backupId}>
              <td><button onClick=${() => setOpen(b)} aria-label=${`Open manifest of ${b.backupId}`}>${b.backupId}</button></td>
              <td>${b.cluster}</td>
              <td>${b.status}</td>
              <td><${VerifyCell} result=${verified[`${b.cluster}/${b.backupId}`] ?? lastVerified(b)} /></td>
              <td class="num">${b.items ?? ''}</td>
              <td class="num">${b.bytes ?? b.size ?? ''}</td>
              <td>${(b.warnings ?? []).length || ''}</td>
              <td>${when(b.startedAt)}</td>
              <td>
                ${
                  b.complete
                    ? html`<button
                        disabled=${verified[`${b.cluster}/${b.backupId}`]?.state === 'running'}
                        aria-label=${`Verify ${b.backupId}`}
                        onClick=${() => verify(b, (r) => setVerified((v) => ({ ...v, [`${b.cluster}/${b.backupId}`]: r })))}
                      >
                        Verify
                      </button>`
                    : null
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${open ? html`<${Manifest} id=${open.backupId} cluster=${open.cluster} />` : html`<p class="muted">Open a backup to read its manifest. Restores: aksops restore --backup ID (dry-run first).</p>`}`;
}
