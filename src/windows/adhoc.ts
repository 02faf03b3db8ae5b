// POST /api/windows, POST /api/windows/{id}/close, GET /api/windows: ad-hoc maintenance windows
// opened by a person for one scope. Plain inputs and outputs (functions/windows.ts is the thin
// trigger). Opening needs the Operator app role behind Easy Auth (in function-key mode the
// `requestedBy` field names who, as for on-call runs); every open and close is audited. A window
// ends by itself at `to` (at most 24 hours after it opens) and can be closed early.
import { randomUUID } from 'node:crypto';
import type { CompiledConfig } from '../config/load.js';
import type { AuditRecord } from '../domain/types.js';
import { parseDuration } from '../domain/duration.js';
import { redactSecrets } from '../domain/redact.js';
import { approverIdentity, type AuthPolicy, type Headers } from '../oncall/identity.js';
import type { z } from 'zod';
import type { windowOpen } from '../api/schemas.js';
import { checkBodyValue } from '../api/validate.js';
import type { AdhocWindow } from './policy.js';

export const WINDOW_ROLE = 'Operator';
const MAX_SECONDS = 24 * 3600;

export interface AdhocDeps {
  config(): CompiledConfig;
  /** Who may open and close windows is proven as for on-call runs (src/oncall/identity.ts). */
  auth: AuthPolicy;
  store: { open(w: AdhocWindow): Promise<void>; get(id: string): Promise<AdhocWindow | null>; list(): Promise<AdhocWindow[]> };
  audit(records: AuditRecord[]): Promise<void>;
  now(): Date;
}

export interface AdhocResponse {
  status: number;
  body: Record<string, unknown>;
}

const bad = (parameter: string, error: string): AdhocResponse => ({ status: 400, body: { error: `${parameter}: ${error}`, parameter } });

function parse(text: string): Record<string, unknown> | AdhocResponse {
  if (text.length > 16_384) return bad('body', 'larger than 16384 characters');
  let b: unknown;
  try {
    b = JSON.parse(text || '{}');
  } catch {
    return bad('body', 'not valid JSON. Fix: send {"cluster": "ms5-prod", "namespace": "timescaledb", "duration": "2h", "reason": "upgrade"}');
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return bad('body', 'must be a JSON object');
  return b as Record<string, unknown>;
}

const isResponse = (x: unknown): x is AdhocResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

function record(w: AdhocWindow, at: string, decision: string, by: string, via: string, detail: string): AuditRecord {
  return {
    id: `window:${w.id}:${decision}`,
    at,
    kind: 'control',
    actor: `user:${by}`,
    decision,
    result: `window ${w.id} ${decision === 'window-open' ? `open until ${w.to}` : `closed at ${at}`}`,
    detail: `${detail} (identity via ${via})`,
  };
}

export async function openWindow(deps: AdhocDeps, headers: Headers, text: string): Promise<AdhocResponse> {
  const b = parse(text);
  if (isResponse(b)) return b;
  const who = approverIdentity(headers, b, deps.auth, WINDOW_ROLE, 'requestedBy');
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };
  const checked = checkBodyValue<z.output<typeof windowOpen>>('windowsOpen', b);
  if (!checked.ok) return checked.invalid;
  const { cluster, namespace, nodePool, jobs, duration, reason } = checked.value;
  const cfg = deps.config();
  if (!cfg.clusters.some((c) => c.name === cluster)) return bad('cluster', `must name a configured cluster (${cfg.clusters.map((c) => c.name).join(', ')})`);
  const secs = parseDuration(duration);
  if (secs === null || secs <= 0 || secs > MAX_SECONDS) return bad('duration', 'required, between 1m and 24h. Fix: e.g. "duration": "2h"');
  const now = deps.now();
  const w: AdhocWindow = {
    id: `w-${randomUUID().slice(0, 8)}`,
    scope: { cluster, ...(namespace ? { namespace } : {}), ...(nodePool ? { nodePool } : {}), ...(jobs ? { jobs } : {}) },
    from: now.toISOString(),
    to: new Date(now.getTime() + secs * 1000).toISOString(),
    by: who.by,
    reason: redactSecrets(reason).slice(0, 500),
  };
  await deps.store.open(w);
  await deps.audit([
    record(w, w.from, 'window-open', who.by, who.via, `maintenance window opened via POST /api/windows for ${JSON.stringify(w.scope)}: ${w.reason}`),
  ]);
  return { status: 201, body: { window: w } };
}

export async function closeWindow(deps: AdhocDeps, headers: Headers, id: string, text: string): Promise<AdhocResponse> {
  const b = parse(text);
  if (isResponse(b)) return b;
  const who = approverIdentity(headers, b, deps.auth, WINDOW_ROLE, 'requestedBy');
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };
  const checked = checkBodyValue<{ reason?: string }>('windowsClose', b);
  if (!checked.ok) return checked.invalid;
  if (!/^w-[0-9a-f]{8}$/.test(id)) return bad('id', 'is not a window id (w-xxxxxxxx)');
  const w = await deps.store.get(id);
  if (!w) return { status: 404, body: { error: `window ${id} does not exist; GET /api/windows lists them` } };
  const now = deps.now();
  if (w.closedAt || Date.parse(w.to) <= now.getTime()) return { status: 200, body: { window: w, note: 'already ended' } };
  const closed: AdhocWindow = { ...w, closedAt: now.toISOString() };
  await deps.store.open(closed);
  const why = checked.value.reason !== undefined ? `: ${redactSecrets(checked.value.reason).slice(0, 500)}` : '';
  await deps.audit([
    record(closed, closed.closedAt!, 'window-close', who.by, who.via, `maintenance window closed early via POST /api/windows/${id}/close${why}`),
  ]);
  return { status: 200, body: { window: closed } };
}

export async function listWindows(deps: Pick<AdhocDeps, 'store' | 'now'>): Promise<AdhocResponse> {
  const now = deps.now().getTime();
  const all = await deps.store.list();
  const open = all.filter((w) => Date.parse(w.to) > now && !w.closedAt);
  return { status: 200, body: { open, ended: all.filter((w) => !open.includes(w)).slice(-50) } };
}
