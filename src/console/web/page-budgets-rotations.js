// Budgets: each budget's stages against spend to date and forecast, the actions in effect and what
// restore will put back; Approve/Reject for a stage waiting for an Approver. Rotations: the secrets
// enrolled by config with their last result and next due date, and rotations in flight.
import { useState } from 'preact/hooks';
import { api, withUser } from './api.js';
import { html, useApi, ErrorLine, when } from './ui.js';

/** POST /api/budgets/{name}/approval: the waiting stage goes ahead (approve) or is skipped (reject). */
function Waiting({ name, waiting, onDecided }) {
  const [out, setOut] = useState();
  const decide = async (approve) => {
    try {
      const r = await api(`/api/budgets/${encodeURIComponent(name)}/approval`, { method: 'POST', body: withUser('by', { approve }) });
      setOut({ ok: `${approve ? 'Approved' : 'Rejected'} stage ${r.stage} (by ${r.by})` });
      onDecided();
    } catch (e) {
      setOut({ error: e });
    }
  };
  return html`<div class="card" data-testid="budget-waiting" role="group" aria-label=${`Stage ${waiting.stage} waits for approval`}>
    <p><strong>Stage ${waiting.stage} waits for approval</strong> since ${when(waiting.requestedAt)} (${waiting.instanceId})</p>
    <button class="primary" onClick=${() => decide(true)}>Approve</button> <button onClick=${() => decide(false)}>Reject</button>
    ${out?.ok ? html`<p class="ok" role="status">${out.ok}</p>` : html`<${ErrorLine} error=${out?.error} />`}
  </div>`;
}

function Budget({ name }) {
  const { data, error, refresh } = useApi(() => api(`/api/budgets/${encodeURIComponent(name)}`), [name], 5000);
  if (!data) return html`<${ErrorLine} error=${error} />`;
  const last = data.lastEvaluation ?? data.last ?? null;
  return html`<section class="card" data-testid="budget" aria-label=${`Budget ${name}`}>
    <h3>${name} <span class="badge">${data.mode ?? ''}</span></h3>
    <p>
      ${data.amount ?? ''} ${data.currency ?? ''} · period
      ${data.period?.start ?? data.period?.key ?? ''}${last ? html` · spend ${last.actual ?? '?'}, forecast ${last.forecast ?? '?'} at ${when(last.at)}` : html` · <span class="muted">not evaluated in this period yet</span>`}
    </p>
    ${data.waiting ? html`<${Waiting} name=${name} waiting=${data.waiting} onDecided=${refresh} />` : null}
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
      (data.active ?? []).length
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
                ${data.active.map(
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
  const dueText = { now: 'due now (next daily sweep)', scheduled: '', unknown: 'unknown' };
  const rotations = (runs.data?.items ?? []).filter((r) => r.orchestration === 'secretRotation');
  return html`<h2>Rotations</h2>
    <${ErrorLine} error=${error || runs.error} />
    <h3>Secrets enrolled by config</h3>
    <table data-testid="secrets">
      <thead>
        <tr>
          <th>Secret</th>
          <th>Strategy</th>
          <th>Next due</th>
          <th>Last result</th>
          <th>Last rotated</th>
          <th>Running now</th>
        </tr>
      </thead>
      <tbody>
        ${(data?.rotationSecrets ?? []).map((s) => {
          const live = rotations.find((r) => r.instanceId.includes(s.name.toLowerCase()) && ['Pending', 'Running'].includes(r.runtimeStatus));
          return html`<tr key=${s.name}>
            <td>${s.name}</td>
            <td>${s.strategy}</td>
            <td title=${s.why}>
              <span data-testid="next-due">${s.nextDue ? when(s.nextDue) : ''}</span>
              ${dueText[s.due] ? html`<span class=${s.due === 'now' ? 'bad' : 'muted'}>${dueText[s.due]}</span>` : null}
            </td>
            <td>
              ${
                s.last
                  ? html`<span class=${s.last.result === 'rotated' ? 'ok' : 'bad'}>${s.last.result}</span> ${when(s.last.at)}
                      <div class="muted">${s.last.detail ?? ''}</div>`
                  : html`<span class="muted">none</span>`
              }
            </td>
            <td>${s.lastRotatedAt ? when(s.lastRotatedAt) : ''}</td>
            <td>${live ? `${live.phase ?? live.runtimeStatus}` : ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${(data?.warnings ?? []).map((w) => html`<p class="error" role="alert">${w}</p>`)}
    <p class="muted">
      Next due: the last successful rotation + the secret's validity - the rotation window (from the audit, last 91 days). Key Vault's own expiry:
      <code>aksops secrets status</code>. Tag-enrolled secrets appear under rotations once rotated.
    </p>
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
