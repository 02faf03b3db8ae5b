// Now: the pause switch, runs waiting for approval (plan, target, approve/reject/cancel) and the
// live runs with their phase and progress. Re-polls every 5 s.
import { useState } from 'preact/hooks';
import { api, withUser } from './api.js';
import { html, useApi, ErrorLine, when } from './ui.js';

function PauseSwitch() {
  const { data, error, refresh } = useApi(() => api('/api/pause'));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState();
  if (!data) return html`<${ErrorLine} error=${error} />`;
  const toggle = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api('/api/pause', { method: 'POST', body: withUser('by', { paused: !data.paused, reason }) });
      setReason('');
      setFailed(undefined);
      await refresh();
    } catch (err) {
      setFailed(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card" aria-labelledby="pause-h">
    <h3 id="pause-h">Automation: <span data-testid="pause-state" class=${data.paused ? 'bad' : 'ok'}>${data.paused ? 'paused' : 'running'}</span></h3>
    ${data.switch ? html`<p class="muted">${data.switch.paused ? 'Paused' : 'Resumed'} by ${data.switch.by} at ${when(data.switch.at)}: ${data.switch.reason}</p>` : null}
    ${data.note ? html`<p class="warn">${data.note}</p>` : null}
    <form class="pause" onSubmit=${toggle}>
      <label>Reason (goes into the audit log)<input required value=${reason} onInput=${(e) => setReason(e.target.value)} size="40" /></label>
      <button class=${data.paused ? 'primary' : 'danger'} disabled=${busy || !reason.trim()} type="submit">
        ${data.paused ? 'Resume automation' : 'Pause automation'}
      </button>
    </form>
    <${ErrorLine} error=${failed} />
  </section>`;
}

function Waiting({ run, refresh }) {
  const [failed, setFailed] = useState();
  const [done, setDone] = useState('');
  const decide = async (what) => {
    try {
      const url = run.decide[what];
      const body = url.endsWith('/approval')
        ? { approved: what === 'approve' }
        : withUser('approver', what === 'cancel' ? { reason: 'cancelled from the console' } : {});
      await api(url, { method: 'POST', body });
      setDone(what);
      refresh();
    } catch (err) {
      setFailed(err);
    }
  };
  return html`<article class="card waiting" data-testid="waiting-run" aria-label=${`Run ${run.instanceId} waiting for approval`}>
    <strong>${run.runbook ?? run.orchestration}</strong> on <code>${run.target ?? '?'}</code> ${run.dryRun ? html`<span class="badge">dry-run</span>` : null}
    <p>${run.approval?.reason ?? 'waiting for approval'}${run.approval?.deadline ? html` · decide before ${when(run.approval.deadline)}` : null}</p>
    ${
      run.plan
        ? html`<p>Plan: ${run.plan.summary}</p>
            <ol>
              ${(run.plan.steps ?? []).map((s) => html`<li>${s}</li>`)}
            </ol>`
        : null
    }
    ${
      done
        ? html`<p class="ok" role="status">${done} sent</p>`
        : html`<div>
            <button class="primary" onClick=${() => decide('approve')}>Approve</button>${' '} <button onClick=${() => decide('reject')}>Reject</button>${' '}
            ${run.decide.cancel ? html`<button class="danger" onClick=${() => decide('cancel')}>Cancel run</button>` : null}
          </div>`
    }
    <${ErrorLine} error=${failed} />
    <p class="muted"><a href=${`#/audit?instanceId=${encodeURIComponent(run.instanceId)}`}>audit of this run</a></p>
  </article>`;
}

export function NowPage() {
  const { data, error, refresh } = useApi(() => api('/api/runs?limit=200'), [], 5000);
  const waiting = data?.items.filter((r) => r.awaitingApproval && r.decide) ?? [];
  const live = data?.items.filter((r) => !(r.awaitingApproval && r.decide)) ?? [];
  return html`<h2>Now</h2>
    <${PauseSwitch} />
    <h3>Waiting for approval (${waiting.length})</h3>
    ${waiting.length ? waiting.map((r) => html`<${Waiting} key=${r.instanceId} run=${r} refresh=${refresh} />`) : html`<p class="muted">Nothing waits for a decision.</p>`}
    <h3>Active runs (${live.length})</h3>
    <${ErrorLine} error=${error} />
    <${RunsTable} runs=${live} testid="runs" />`;
}

/** Runs with kind, status, phase, progress, target and start; each links to its audit rows (also on the Backups page). */
export function RunsTable({ runs, testid }) {
  return html`<table data-testid=${testid}>
    <thead>
      <tr>
        <th>Run</th>
        <th>Kind</th>
        <th>Status</th>
        <th>Phase</th>
        <th>Progress</th>
        <th>Target</th>
        <th>Started</th>
      </tr>
    </thead>
    <tbody>
      ${runs.map(
        (r) =>
          html`<tr key=${r.instanceId}>
            <td><a href=${`#/audit?instanceId=${encodeURIComponent(r.instanceId)}`}>${r.instanceId}</a></td>
            <td>${r.runbook ?? r.orchestration}</td>
            <td>${r.runtimeStatus}</td>
            <td>${r.phase ?? ''}</td>
            <td>
              ${
                r.progress
                  ? html`<div
                        class="bar"
                        role="progressbar"
                        aria-label="progress"
                        aria-valuemin="0"
                        aria-valuemax=${r.progress.total}
                        aria-valuenow=${r.progress.done}
                      >
                        <span style=${`width:${(100 * r.progress.done) / Math.max(1, r.progress.total)}%`}></span>
                      </div>
                      ${r.progress.done}/${r.progress.total}`
                  : ''
              }
            </td>
            <td><code>${r.target ?? ''}</code></td>
            <td>${when(r.createdTime)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
