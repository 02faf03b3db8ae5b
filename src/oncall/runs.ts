// The on-call HTTP runbooks, free of the Functions framework (functions/runbooks.ts adapts the
// HTTP request and the Durable client to these ports):
//   GET  /api/runbooks                       the catalogue with parameter schemas
//   POST /api/runbooks/{name}                {params, dryRun, cluster?, requestedBy?} -> 202 + status URLs
//   GET  /api/runbooks/runs/{id}             phase, plan, progress, approval, result
//   POST /api/runbooks/runs/{id}/approve     {approver?, comment?}
//   POST /api/runbooks/runs/{id}/reject      {approver?, comment?}
//   POST /api/runbooks/runs/{id}/cancel      {approver?, reason?}
// A start goes through the same checks as an alert: parameters (400 naming the parameter),
// protected scopes (the intake's protectedReason), the per-target guard (read from its entity
// and judged with the guard's own rules: 409 when it would refuse), then the same `remediation`
// orchestration. A manual run's ID derives from the Idempotency-Key header (or a generated key,
// returned), so a retried POST starts nothing new. Refused or unauthenticated calls change
// nothing: every check happens before the start or the event.
import { createHash, randomUUID } from 'node:crypto';
import type { CompiledConfig } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { acquire, initialGuardState, type GuardState } from '../domain/guard.js';
import { targetKey, type AuditRecord, type RemediationInput, type Target } from '../domain/types.js';
import { protectedReason } from '../domain/protection.js';
import { RUNBOOKS, checkParams, describeCatalogue } from '../runbooks/catalogue.js';
import { approvalPolicy, progressPolicy } from '../runbooks/policy.js';
import type { z } from 'zod';
import type { runbookStart } from '../api/schemas.js';
import { checkBodyValue } from '../api/validate.js';
import { approverIdentity, principalOf, proofText, requesterIdentity, type Headers } from './identity.js';
import { text } from '../domain/text.js';

export const REMEDIATION_ORCHESTRATION = 'remediation';
export const EVENT_APPROVAL = 'approval';
export const EVENT_CANCEL = 'cancel';

export interface RunStatus {
  name: string;
  runtimeStatus: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

/** The Durable Functions operations the endpoints use (functions/lib/durable-runs.ts over DurableClient). */
export interface RunPort {
  status(instanceId: string): Promise<RunStatus | null>;
  start(input: RemediationInput): Promise<void>;
  raise(instanceId: string, event: string, data: unknown): Promise<void>;
  /** The guard entity's state for a target, or null when it does not exist yet. */
  guardState(target: Target): Promise<GuardState | null>;
}

export interface OncallDeps {
  config(): CompiledConfig;
  settings: Settings;
  runs: RunPort;
  audit: { write(records: AuditRecord[]): Promise<void> };
  now(): Date;
  /** Base URL for the status links (the request's origin + /api). */
  apiBase: string;
}

export interface OncallRequest {
  headers: Headers;
  /** Raw body text ('' when none). */
  body: string;
  params: Record<string, string>;
}

export interface OncallResponse {
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown> | unknown[];
}

const MAX_BODY = 64 * 1024;
const RUN_ID = /^(run|rem)-[0-9a-f]{32}$/;
const LIVE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

function bad(parameter: string, error: string, status = 400): OncallResponse {
  return { status, body: { error: `${parameter}: ${error}`, parameter } };
}

/** Parses a JSON object body; JSON is required (a cross-site form cannot send it without a CORS preflight). */
function jsonBody(req: OncallRequest, allowEmpty: boolean): Record<string, unknown> | OncallResponse {
  if (req.body.length > MAX_BODY) return bad('body', `larger than ${MAX_BODY} bytes`, 413);
  if (req.body.trim() === '') return allowEmpty ? {} : bad('body', 'required: a JSON object');
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return bad('content-type', 'must be application/json', 415);
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch (e) {
    return bad('body', `not valid JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('body', 'must be a JSON object');
  return parsed as Record<string, unknown>;
}

const isResponse = (v: unknown): v is OncallResponse =>
  typeof v === 'object' && v !== null && 'status' in v && 'body' in v && typeof (v as { status: unknown }).status === 'number';

export function manualRunId(runbook: string, key: string): string {
  return `run-${createHash('sha256').update(`${runbook}|${key}`).digest('hex').slice(0, 32)}`;
}

function links(deps: OncallDeps, id: string) {
  const run = `${deps.apiBase}/runbooks/runs/${id}`;
  return { statusUrl: run, approveUrl: `${run}/approve`, rejectUrl: `${run}/reject`, cancelUrl: `${run}/cancel` };
}

export function listRunbooks(): OncallResponse {
  return { status: 200, body: { runbooks: describeCatalogue() } };
}

type RunbookStartBody = z.output<typeof runbookStart>;

export async function startRun(deps: OncallDeps, req: OncallRequest): Promise<OncallResponse> {
  const name = req.params['name'] ?? '';
  const def = RUNBOOKS[name];
  if (!def) return { status: 404, body: { error: `runbook "${name.slice(0, 60)}" does not exist; GET /api/runbooks lists them`, parameter: 'name' } };
  const body = jsonBody(req, false);
  if (isResponse(body)) return body;
  const who = requesterIdentity(req.headers, body, deps.settings);
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };
  const checked = checkBodyValue<RunbookStartBody>('runbooksStart', body);
  if (!checked.ok) return checked.invalid;
  const start = checked.value;
  const cfg = deps.config();

  // Parameters: JSON strings, numbers and booleans (the schema), checked as the runbook's schema says.
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(start.params ?? {})) params[k] = String(v);
  const problems = checkParams(def, params);
  if (problems.length > 0) {
    const param = /parameters? "([^"]+)"/.exec(problems[0]!)?.[1] ?? 'params';
    return { status: 400, body: { error: problems.join('; '), parameter: `params.${param}`, problems } };
  }
  const dryRun = deps.settings.forceDryRun || start.dryRun !== false;

  let cluster = start.cluster;
  if (cluster === undefined) {
    if (cfg.clusters.length !== 1) return bad('cluster', `required: several clusters are configured (${cfg.clusters.map((c) => c.name).join(', ')})`);
    cluster = cfg.clusters[0]!.name;
  } else if (!cfg.clusters.some((c) => c.name === cluster)) {
    return bad('cluster', `"${cluster.slice(0, 60)}" is not a configured cluster (${cfg.clusters.map((c) => c.name).join(', ')})`);
  }
  const target = def.target(cluster, params);
  const prot = protectedReason(cfg, target);
  if (prot) return { status: 403, body: { error: `refused: ${prot}`, target: targetKey(target) } };

  const given = req.headers.get('idempotency-key');
  if (given !== null && !/^[\x21-\x7e]{1,200}$/.test(given)) return bad('Idempotency-Key', 'must be 1 to 200 printable characters');
  const key = given ?? randomUUID();
  const instanceId = manualRunId(name, key);
  const existing = await deps.runs.status(instanceId);
  if (existing) {
    return {
      status: 200,
      headers: { Location: links(deps, instanceId).statusUrl },
      body: { id: instanceId, idempotencyKey: key, existing: true, runtimeStatus: existing.runtimeStatus, ...links(deps, instanceId) },
    };
  }

  // The guard, judged now with its own rules (the orchestration takes it for real).
  const now = deps.now();
  const state = (await deps.runs.guardState(target)) ?? initialGuardState();
  const preview = acquire(state, { instanceId, now: now.getTime(), policy: cfg.defaultGuard });
  if (!preview.granted) {
    return {
      status: 409,
      body: {
        error: `the guard of ${targetKey(target)} refuses a run now (${preview.reason}): ${preview.detail}`,
        reason: preview.reason,
        target: targetKey(target),
      },
    };
  }

  const input: RemediationInput = {
    instanceId,
    rule: 'manual',
    runbook: name,
    params,
    target,
    dryRun,
    guard: cfg.defaultGuard,
    verifyAfterSeconds: cfg.defaultVerifyAfterSeconds,
    source: 'manual',
    requestedBy: who.by,
    progress: progressPolicy(cfg, name),
    ...(start.overrideWindows === true ? { overrideWindows: true } : {}),
  };
  const approval = approvalPolicy(cfg, def, target, undefined);
  if (approval) input.approval = approval;
  await deps.runs.start(input);
  const reason = start.reason ?? '';
  await deps.audit.write([
    {
      id: `${instanceId}:decision`,
      at: now.toISOString(),
      kind: 'decision',
      actor: `user:${who.by}`,
      proof: who.proof,
      instanceId,
      rule: 'manual',
      runbook: name,
      target: targetKey(target),
      decision: 'start',
      dryRun,
      detail: `on-call run via POST /api/runbooks/${name}${start.overrideWindows === true ? ' (overrides maintenance windows)' : ''}${reason ? `: ${reason}` : ''}`,
    },
  ]);
  const l = links(deps, instanceId);
  return {
    status: 202,
    headers: { Location: l.statusUrl, 'Retry-After': '5' },
    body: { id: instanceId, idempotencyKey: key, runbook: name, target: targetKey(target), dryRun, approvalRequired: approval?.required ?? false, ...l },
  };
}

/** What GET /api/runbooks/runs/{id} shows: the orchestration's custom status and a few input fields. No secrets are in either. */
export async function getRun(deps: OncallDeps, req: OncallRequest): Promise<OncallResponse> {
  const id = req.params['id'] ?? '';
  if (!RUN_ID.test(id)) return bad('id', 'not a run ID (run-… or rem-… with 32 hex digits)');
  const s = await deps.runs.status(id);
  if (!s || s.name.toLowerCase() !== REMEDIATION_ORCHESTRATION) return { status: 404, body: { error: `no run ${id}` } };
  const input = (s.input ?? {}) as Partial<RemediationInput>;
  const custom = (s.customStatus ?? {}) as Record<string, unknown>;
  return {
    status: 200,
    body: {
      id,
      runtimeStatus: s.runtimeStatus,
      createdTime: s.createdTime,
      lastUpdatedTime: s.lastUpdatedTime,
      runbook: input.runbook,
      params: input.params,
      target: input.target ? targetKey(input.target) : undefined,
      dryRun: input.dryRun,
      source: input.source ?? 'alert',
      requestedBy: input.requestedBy,
      ...custom,
      ...(s.output ? { output: s.output } : {}),
      ...links(deps, id),
    },
  };
}

export async function decideRun(deps: OncallDeps, req: OncallRequest, decision: 'approve' | 'reject'): Promise<OncallResponse> {
  const id = req.params['id'] ?? '';
  if (!RUN_ID.test(id)) return bad('id', 'not a run ID');
  const body = jsonBody(req, true);
  if (isResponse(body)) return body;
  const cfg = deps.config();
  const who = approverIdentity(req.headers, body, deps.settings, cfg.approvals.approverRole);
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };
  const checked = checkBodyValue<{ comment?: string }>(decision === 'approve' ? 'runbooksRunApprove' : 'runbooksRunReject', body);
  if (!checked.ok) return checked.invalid;
  const s = await deps.runs.status(id);
  if (!s || s.name.toLowerCase() !== REMEDIATION_ORCHESTRATION) return { status: 404, body: { error: `no run ${id}` } };
  const phase = (s.customStatus as { phase?: unknown } | null)?.phase;
  if (!LIVE.has(s.runtimeStatus) || phase !== 'awaiting-approval') {
    return { status: 409, body: { error: `run ${id} is not waiting for approval (status ${s.runtimeStatus}, phase ${text(phase, 'unknown')})` } };
  }
  const input = (s.input ?? {}) as Partial<RemediationInput>;
  if (decision === 'approve' && !cfg.approvals.allowSelfApproval && input.requestedBy && input.requestedBy.toLowerCase() === who.by.toLowerCase()) {
    return { status: 403, body: { error: `${who.by} started this run and may not approve it (approvals.allowSelfApproval is false): ask another approver` } };
  }
  const comment = checked.value.comment;
  await deps.runs.raise(id, EVENT_APPROVAL, { decision, by: who.by, ...(comment ? { comment } : {}) });
  const at = deps.now().toISOString();
  await deps.audit.write([
    {
      id: `${id}:${decision}:${createHash('sha256').update(`${who.by}|${at}`).digest('hex').slice(0, 12)}`,
      at,
      kind: 'approval',
      actor: `user:${who.by}`,
      proof: who.proof,
      instanceId: id,
      ...(input.runbook ? { runbook: input.runbook } : {}),
      ...(input.rule ? { rule: input.rule } : {}),
      ...(input.target ? { target: targetKey(input.target) } : {}),
      decision,
      detail: `${decision} via POST /api/runbooks/runs/${id}/${decision} (${proofText(who)})${comment ? `: ${comment}` : ''}`,
    },
  ]);
  return { status: 202, body: { id, decision, by: who.by, ...links(deps, id) } };
}

export async function cancelRun(deps: OncallDeps, req: OncallRequest): Promise<OncallResponse> {
  const id = req.params['id'] ?? '';
  if (!RUN_ID.test(id)) return bad('id', 'not a run ID');
  const body = jsonBody(req, true);
  if (isResponse(body)) return body;
  const cfg = deps.config();
  const s = await deps.runs.status(id);
  const input = (s?.input ?? {}) as Partial<RemediationInput>;
  // The approver role may cancel any run; whoever started a manual run may cancel it.
  let who = approverIdentity(req.headers, body, deps.settings, cfg.approvals.approverRole);
  if (!who.ok && who.status === 403) {
    const requester = requesterIdentity(req.headers, body, deps.settings);
    if (requester.ok && input.requestedBy && requester.by.toLowerCase() === input.requestedBy.toLowerCase()) who = requester;
  }
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };
  const checked = checkBodyValue<{ reason?: string }>('runbooksRunCancel', body);
  if (!checked.ok) return checked.invalid;
  if (!s || s.name.toLowerCase() !== REMEDIATION_ORCHESTRATION) return { status: 404, body: { error: `no run ${id}` } };
  if (!LIVE.has(s.runtimeStatus)) return { status: 409, body: { error: `run ${id} has already ended (${s.runtimeStatus})` } };
  const reason = checked.value.reason;
  await deps.runs.raise(id, EVENT_CANCEL, { by: who.by, ...(reason ? { reason } : {}) });
  const at = deps.now().toISOString();
  await deps.audit.write([
    {
      id: `${id}:cancel:${createHash('sha256').update(`${who.by}|${at}`).digest('hex').slice(0, 12)}`,
      at,
      kind: 'control',
      actor: `user:${who.by}`,
      proof: who.proof,
      instanceId: id,
      decision: 'cancel',
      detail: `cancel requested via POST /api/runbooks/runs/${id}/cancel (${proofText(who)})${reason ? `: ${reason}` : ''}`,
    },
  ]);
  return {
    status: 202,
    body: { id, cancelled: true, by: who.by, note: 'the run stops at its next wait; an action already sent to the cluster is not undone', ...links(deps, id) },
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * GET .../approve and .../reject: a confirmation page (the links in Teams and Slack open it).
 * GET never changes anything (link previewers fetch links); the page's button POSTs JSON with
 * the browser's Easy Auth session.
 */
export async function approvalPage(deps: OncallDeps, req: OncallRequest, decision: 'approve' | 'reject'): Promise<{ status: number; html: string }> {
  const id = req.params['id'] ?? '';
  if (!RUN_ID.test(id)) return { status: 400, html: '<p>Not a run ID.</p>' };
  const s = await deps.runs.status(id);
  if (!s) return { status: 404, html: `<p>No run ${esc(id)}.</p>` };
  const custom = (s.customStatus ?? {}) as { phase?: string; plan?: { summary?: string; steps?: string[] }; approval?: { reason?: string; deadline?: string } };
  const waiting = LIVE.has(s.runtimeStatus) && custom.phase === 'awaiting-approval';
  const approverField =
    deps.settings.runbooksAuth === 'function-key' && !principalOf(req.headers, deps.settings)
      ? '<p><label>Your name or e-mail <input id="approver" required></label></p>'
      : '';
  const steps = (custom.plan?.steps ?? []).map((x) => `<li>${esc(x)}</li>`).join('');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${decision} run ${esc(id)}</title></head><body>
<h1>${decision === 'approve' ? 'Approve' : 'Reject'} run ${esc(id)}</h1>
<p><strong>${esc(custom.plan?.summary ?? '')}</strong></p><ul>${steps}</ul>
<p>${esc(custom.approval?.reason ?? '')}${custom.approval?.deadline ? ` (decide before ${esc(custom.approval.deadline)})` : ''}</p>
${
  waiting
    ? `${approverField}<p><label>Comment <input id="comment"></label></p><button id="go">${decision === 'approve' ? 'Approve' : 'Reject'}</button><pre id="out"></pre>
<script>
document.getElementById('go').onclick = async () => {
  const body = { comment: document.getElementById('comment').value };
  const a = document.getElementById('approver'); if (a) body.approver = a.value;
  const r = await fetch(location.pathname + location.search, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  document.getElementById('out').textContent = r.status + ' ' + await r.text();
};
</script>`
    : `<p>This run is not waiting for approval (status ${esc(s.runtimeStatus)}, phase ${esc(custom.phase ?? 'unknown')}).</p>`
}
</body></html>`;
  return { status: 200, html };
}
