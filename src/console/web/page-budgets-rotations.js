// Budgets: each budget's stages against spend to date and forecast, the actions in effect and what
// restore will put back. Rotations: the secrets enrolled by config and rotations in flight.
import { api } from './api.js';
import { html, useApi, ErrorLine, when } from './ui.js';

function Budget({ name }) {
  const { data, error } = useApi(() => api(`/api/budgets/${encodeURIComponent(name)}`), [name]);
  if (!data) return html`<${ErrorLine} error=${error} />`;
  const last = data.lastEvaluation ?? data.last ?? null;
  return html`<section class="card" data-testid="budget" aria-label=${`Budget ${name}`}>
    <h3>${name} <span class="badge">${data.mode ?? ''}</span></h3>
    <p>
      ${data.amount ?? ''} ${data.currency ?? ''} · period
      ${data.period?.start ?? data.period?.key ?? ''}${last ? html` · spend ${last.actual ?? '?'}, forecast ${last.forecast ?? '?'} at ${when(last.at)}` : html` · <span class="muted">not evaluated in this period yet</span>`}
    </p>
    <table>
      <thead>
        <tr>
          <th>Stage</th>
          <th class="num">Threshold %</th>
          <th>Basis</th>
          <th>Approval</th>
          <th>State</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        ${data.stages.map(
          (s) =>
            html`<tr key=${s.name}>
              <td>${s.name}</td>
              <td class="num">${s.threshold}</td>
              <td>${s.basis}</td>
              <td>${s.approval ? 'required' : ''}</td>
              <td>${s.state}</td>
              <td>${(s.actions ?? []).join('; ')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      (data.actions ?? []).length
        ? html`<h3>Changes in effect</h3>
            <table>
              <thead>
                <tr>
                  <th>Stage</th>
                  <th>Target</th>
                  <th>Status</th>
                  <th>Before (restore puts back)</th>
                  <th>After</th>
                </tr>
              </thead>
              <tbody>
                ${data.actions.map(
                  (a, i) =>
                    html`<tr key=${i}>
                      <td>${a.stage}</td>
                      <td>${a.target}</td>
                      <td>${a.status}</td>
                      <td><code>${JSON.stringify(a.before)}</code></td>
                      <td><code>${JSON.stringify(a.after)}</code></td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : html`<p class="muted">No changes in effect: nothing to restore.</p>`
    }
  </section>`;
}

export function BudgetsPage() {
  const { data, error } = useApi(() => api('/api/overview'));
  return html`<h2>Budgets</h2>
    <${ErrorLine} error=${error} />
    ${data ? (data.budgets.length ? data.budgets.map((b) => html`<${Budget} key=${b} name=${b} />`) : html`<p class="muted">No budgets in the operations config.</p>`) : null}`;
}

export function RotationsPage() {
  const { data, error } = useApi(() => api('/api/overview'));
  const runs = useApi(() => api('/api/runs?since=30d&limit=200'));
  const rotations = (runs.data?.items ?? []).filter((r) => r.orchestration === 'secretRotation');
  return html`<h2>Rotations</h2>
    <${ErrorLine} error=${error || runs.error} />
    <h3>Secrets enrolled by config</h3>
    <table data-testid="secrets">
      <thead>
        <tr>
          <th>Secret</th>
          <th>Strategy</th>
          <th>Last rotation</th>
          <th>Stage</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.rotationSecrets ?? []).map((s) => {
          const last = rotations.find((r) => r.instanceId.includes(s.name));
          return html`<tr key=${s.name}>
            <td>${s.name}</td>
            <td>${s.strategy}</td>
            <td>${last ? when(last.createdTime) : html`<span class="muted">none in 30 days</span>`}</td>
            <td>${last?.phase ?? ''}</td>
            <td>${last?.runtimeStatus ?? ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    <p class="muted">Expiry and next due date come from Key Vault: <code>aksops secrets status</code>. Tag-enrolled secrets appear once rotated.</p>
    <h3>Rotations in the last 30 days (${rotations.length})</h3>
    <table>
      <thead>
        <tr>
          <th>Rotation</th>
          <th>Status</th>
          <th>Stage</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        ${rotations.map(
          (r) =>
            html`<tr key=${r.instanceId}>
              <td>${r.instanceId}</td>
              <td>${r.runtimeStatus}</td>
              <td>${r.phase ?? ''}</td>
              <td>${when(r.createdTime)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
