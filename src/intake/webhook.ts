// The Alertmanager webhook, free of the Functions framework: functions/alertmanager-webhook.ts
// adapts the HTTP request and the Durable client to these ports. Contract with Alertmanager
// (notify/webhook): any 2xx is success, 5xx is retried until group_interval ends, 4xx is not
// retried. So: 2xx only once every orchestration is durably scheduled and every decision
// audited; 503 on a transient failure (the retry is safe: starts are idempotent by ID); 4xx
// for input that will never succeed.
import type { Page } from '../notify/paging.js';
import { createHash } from 'node:crypto';
import type { AuditRecord, RemediationInput } from '../domain/types.js';
import { targetKey } from '../domain/types.js';
import type { CompiledConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import type { Settings } from '../config/settings.js';
import { checkWebhookAuth } from './auth.js';
import { count } from '../telemetry/metrics.js';
import { currentTraceparent, withSpan } from '../telemetry/trace.js';
import { decideAlerts, type PlannedAlert } from './decide.js';
import { PayloadError, parseWebhookJson } from './payload.js';
import { admitStarts, minuteOf, type StormStore } from './storm.js';

export const EVENT_ALERT_RESOLVED = 'alertResolved';

/** Durable runtime states in which an instance can still receive the resolved event. */
const LIVE_STATES = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

export interface RemediationInstances {
  /** The instance's runtime status ("Running", "Completed", ...) or null when no instance has this ID. */
  status(instanceId: string): Promise<string | null>;
  /** Starts the remediation; 'exists' when another delivery started the same ID first. */
  start(input: RemediationInput): Promise<'started' | 'exists'>;
  raiseResolved(instanceId: string, data: { endsAt: string }): Promise<void>;
}

export interface AuditSink {
  write(records: AuditRecord[]): Promise<void>;
}

export interface WebhookDeps {
  /** The compiled config; throws ConfigError when the file is broken. */
  config(): CompiledConfig;
  settings: Settings;
  instances: RemediationInstances;
  audit: AuditSink;
  pause(): Promise<{ paused: boolean; reason?: string | null }>;
  /** Start limits and the storm breaker (src/intake/storm.ts); the app always passes one. */
  storm?: StormStore;
  /** Pages the on-call (paging.routes.critical, src/notify/paging.ts) when a storm breaker trips. */
  page?(p: Page): Promise<void>;
  now(): Date;
  /** A unique ID for this delivery (audit rows of separate deliveries must not collide). */
  deliveryId(): string;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface WebhookRequest {
  authorization: string | null;
  contentLength: string | null;
  /** Reads the body as text; returns null when it exceeds `limit` bytes (stop reading then). */
  readBody(limit: number): Promise<string | null>;
}

export interface WebhookResponse {
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

export interface DecisionSummary {
  fingerprint: string;
  status: string;
  rule: string | null;
  runbook: string | null;
  target: string | null;
  decision: string;
  instanceId: string | null;
  result?: string;
  reason?: string;
}

const MAX_PARALLEL = 16;
const LOST_RACE = 'already started by another delivery';

async function inBatches<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += MAX_PARALLEL) out.push(...(await Promise.all(items.slice(i, i + MAX_PARALLEL).map(fn))));
  return out;
}

function badRequest(status: number, error: string, extra: Record<string, unknown> = {}): WebhookResponse {
  return { status, body: { error, ...extra } };
}

/** One span per delivery; its trace context travels into every run it starts (src/telemetry/trace.ts). */
export function handleAlertmanagerWebhook(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  return withSpan('alertmanager webhook', { 'http.route': '/api/alerts/alertmanager' }, async (span) => {
    const res = await handleDelivery(req, deps);
    span.setAttribute('http.response.status_code', res.status);
    return res;
  });
}

async function handleDelivery(req: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const { settings } = deps;
  const authProblem = checkWebhookAuth(req.authorization, {
    token: settings.webhookToken,
    username: settings.webhookUsername,
    password: settings.webhookPassword,
  });
  if (authProblem) {
    return { status: 401, headers: { 'WWW-Authenticate': settings.webhookToken ? 'Bearer' : 'Basic realm="aksops"' }, body: { error: authProblem } };
  }

  const limit = settings.webhookMaxBodyBytes;
  const declared = req.contentLength === null ? NaN : Number(req.contentLength);
  if (Number.isFinite(declared) && declared > limit) {
    return badRequest(
      413,
      `body is ${declared} bytes; at most ${limit} are accepted. Fix: lower max_alerts in the Alertmanager webhook_config, or raise WEBHOOK_MAX_BODY_BYTES`,
    );
  }
  const text = await req.readBody(limit);
  if (text === null) {
    return badRequest(413, `body exceeds ${limit} bytes. Fix: lower max_alerts in the Alertmanager webhook_config, or raise WEBHOOK_MAX_BODY_BYTES`);
  }

  let config: CompiledConfig;
  try {
    config = deps.config();
  } catch (e) {
    // Not the sender's fault and not transient for us; 500 keeps Alertmanager retrying until it is fixed.
    const msg = e instanceof ConfigError ? e.message : `cannot load the operations config: ${(e as Error).message}`;
    deps.log?.('error', msg);
    return badRequest(500, 'the operations config is invalid; see the function logs (run `aksops config validate`)');
  }

  let payload;
  try {
    payload = parseWebhookJson(text);
  } catch (e) {
    if (e instanceof PayloadError) return badRequest(400, e.message, { field: e.field });
    throw e;
  }

  const at = deps.now().toISOString();
  const delivery = deps.deliveryId();
  try {
    return await decideAndSchedule(payload, config, deps, at, delivery);
  } catch (e) {
    deps.log?.('error', `webhook delivery ${delivery} failed transiently: ${(e as Error).message}`);
    return {
      status: 503,
      headers: { 'Retry-After': '10' },
      body: { error: 'a dependency (Durable Functions or storage) failed; Alertmanager will retry', delivery },
    };
  }
}

async function decideAndSchedule(
  payload: ReturnType<typeof parseWebhookJson>,
  config: CompiledConfig,
  deps: WebhookDeps,
  at: string,
  delivery: string,
): Promise<WebhookResponse> {
  // Pass 1 names the instances; their existence is then read and pass 2 decides for good.
  const first = decideAlerts(payload, config, { forceDryRun: deps.settings.forceDryRun });
  const ids = [...new Set(first.filter((d) => d.instanceId && (d.decision === 'start' || d.decision === 'resolve')).map((d) => d.instanceId!))];
  const states = new Map<string, string | null>();
  await inBatches(ids, async (id) => states.set(id, await deps.instances.status(id)));
  const decisions = decideAlerts(payload, config, { forceDryRun: deps.settings.forceDryRun, existing: (id) => (states.get(id) ?? null) !== null });

  const pause = decisions.some((d) => d.decision === 'start') ? await deps.pause() : { paused: false };
  const escalations = pause.paused ? [] : await applyStormLimits(decisions, deps, at);
  const results = await inBatches(decisions, (d) => act(d, states, pause, deps));
  // A concurrent delivery (the other member of an HA pair) may have started the same ID first.
  decisions.forEach((d, i) => {
    if (results[i] === LOST_RACE) {
      d.decision = 'duplicate';
      d.reason = 'another delivery of the same alert started it first';
    }
  });

  count('alertsReceived', {}, decisions.length);
  for (const d of decisions) count('alertsDecided', { decision: d.decision, ...(d.rule ? { rule: d.rule } : {}) });

  const records: AuditRecord[] = [...decisions.map((d, i) => auditRecord(d, results[i], at, delivery, i)), ...escalations];
  // The start decision, once per occurrence, also on the retry after a failed write (#12).
  decisions.forEach((d, i) => {
    const planned = first[i];
    const started = results[i] === 'started' || results[i] === LOST_RACE || (d.decision === 'duplicate' && (states.get(d.instanceId ?? '') ?? null) !== null);
    if (started && planned?.decision === 'start' && planned.input) records.push(startRecord(planned, planned.input, at));
  });
  // How the sender was proven: the webhook credential when one is configured, else the function key alone.
  const proof = deps.settings.webhookToken || deps.settings.webhookPassword ? 'webhook-credential' : 'function-key';
  await deps.audit.write(records.map((r) => ({ ...r, proof })));

  const summary: DecisionSummary[] = decisions.map((d, i) => ({
    fingerprint: d.fingerprint,
    status: d.status,
    rule: d.rule,
    runbook: d.runbook,
    target: d.target ? targetKey(d.target) : null,
    decision: d.decision,
    instanceId: d.instanceId,
    ...(results[i] ? { result: results[i] } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
  }));
  return { status: 200, body: { delivery, paused: pause.paused, decisions: summary } };
}

/**
 * Refuses the starts over the estate-wide or per-cluster limit (decision 'storm-limited') and
 * trips the breaker of a cluster over its limit; returns the escalation records of the trips.
 */
async function applyStormLimits(decisions: PlannedAlert[], deps: WebhookDeps, at: string): Promise<AuditRecord[]> {
  const starts = decisions.filter((d) => d.decision === 'start' && d.input);
  if (!deps.storm || starts.length === 0) return [];
  const now = deps.now();
  const minute = minuteOf(now);
  const [counts, open] = await Promise.all([deps.storm.counts(minute), deps.storm.openBreakers(now)]);
  const limits = deps.settings.storm;
  const verdict = admitStarts(
    starts.map((d) => d.input!.target.cluster),
    counts,
    open,
    limits,
  );
  starts.forEach((d, i) => {
    const why = verdict.refused[i];
    if (why) {
      d.decision = 'storm-limited';
      d.reason = why;
      delete d.input;
    }
  });
  await deps.storm.add(minute, verdict.added);
  const until = new Date(now.getTime() + limits.breakerMinutes * 60_000).toISOString();
  const out: AuditRecord[] = [];
  for (const cluster of verdict.trip) {
    const reason = `more than ${limits.clusterPerMinute} remediation starts per minute in cluster ${cluster}: automated starts stopped until ${until}`;
    await deps.storm.trip(cluster, until, reason);
    deps.log?.('error', `STORM BREAKER tripped for cluster ${cluster}: ${reason}. Page the on-call; investigate before ${until}.`);
    // One incident per trip (the key is the trip's end); a failed page never fails the delivery.
    await deps
      .page?.({
        key: `storm-breaker:${cluster}:${until}`,
        action: 'trigger',
        severity: 'critical',
        summary: `storm breaker tripped for cluster ${cluster}`,
        source: cluster,
        component: 'remediation',
        detail: reason,
        at,
      })
      .catch((e: unknown) => deps.log?.('warn', `storm breaker page not sent: ${(e as Error).message}`));
    out.push({
      id: `storm:${cluster}:${minute}`,
      at,
      kind: 'control',
      actor: 'alertmanager',
      target: cluster,
      decision: 'storm-breaker',
      result: 'escalated',
      detail: reason,
    });
  }
  return out;
}

async function act(
  d: PlannedAlert,
  states: Map<string, string | null>,
  pause: { paused: boolean; reason?: string | null },
  deps: WebhookDeps,
): Promise<string | undefined> {
  if (d.decision === 'start' && d.input) {
    if (pause.paused) return `not started: automation is paused${pause.reason ? ` (${pause.reason})` : ''}`;
    const traceparent = currentTraceparent();
    const r = await deps.instances.start(traceparent ? { ...d.input, traceparent } : d.input);
    return r === 'started' ? 'started' : LOST_RACE;
  }
  if (d.decision === 'resolve' && d.instanceId) {
    const state = states.get(d.instanceId) ?? null;
    if (state !== null && LIVE_STATES.has(state)) {
      await deps.instances.raiseResolved(d.instanceId, { endsAt: d.endsAt });
      return 'resolved event raised';
    }
    return state === null ? 'no remediation was started for this occurrence' : `remediation already ${state.toLowerCase()}`;
  }
  return undefined;
}

/**
 * The audit record of the decision that started an occurrence's remediation. Its ID and time come
 * from the occurrence (instance ID, alert startsAt), so every delivery that starts or finds the
 * instance writes the same row: idempotent, and complete after a retry.
 */
function startRecord(d: PlannedAlert, input: RemediationInput, decidedAt: string): AuditRecord {
  return {
    id: `${input.instanceId}:start`,
    at: new Date(Date.parse(input.alert?.startsAt ?? decidedAt)).toISOString(),
    kind: 'decision',
    actor: 'alertmanager',
    fingerprint: d.fingerprint,
    ...(d.alertname ? { alertname: d.alertname } : {}),
    instanceId: input.instanceId,
    rule: input.rule,
    runbook: input.runbook,
    target: targetKey(input.target),
    decision: 'start',
    dryRun: input.dryRun,
    result: 'started',
    detail: `remediation started for the alert occurrence (first decided by a delivery at or before ${decidedAt}; the row's time is the alert's startsAt)`,
  };
}

function auditRecord(d: PlannedAlert, result: string | undefined, at: string, delivery: string, index: number): AuditRecord {
  const id = createHash('sha256').update(`${delivery}|${index}`).digest('hex').slice(0, 32);
  return {
    id,
    at,
    kind: 'decision',
    actor: 'alertmanager',
    fingerprint: d.fingerprint,
    ...(d.alertname ? { alertname: d.alertname } : {}),
    ...(d.instanceId ? { instanceId: d.instanceId } : {}),
    ...(d.rule ? { rule: d.rule } : {}),
    ...(d.runbook ? { runbook: d.runbook } : {}),
    ...(d.target ? { target: targetKey(d.target) } : {}),
    decision: d.decision,
    ...(d.input ? { dryRun: d.input.dryRun } : {}),
    ...(result ? { result } : {}),
    ...(d.reason ? { detail: d.reason } : {}),
  };
}
