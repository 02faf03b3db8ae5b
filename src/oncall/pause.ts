// The global pause switch over HTTP, free of the Functions framework (functions/control.ts adapts
// it): GET shows the effective state; POST {"paused", "reason", "by"?} sets the switch and audits
// who did it and how that identity was proven. Needs the Operator role behind Easy Auth.
import { checkBodyValue } from '../api/validate.js';
import { createHash } from 'node:crypto';
import { isPaused, type EffectivePause, type PauseState } from '../adapters/control-store.js';
import type { Settings } from '../config/settings.js';
import type { AuditRecord } from '../domain/types.js';
import { actorOf, callerIdentity, OPERATOR_ROLE, proofText, type Headers } from './identity.js';

export interface PauseDeps {
  settings: Settings;
  control: { getPause(): Promise<PauseState | null>; setPause(s: PauseState): Promise<PauseState> };
  audit: { write(records: AuditRecord[]): Promise<void> };
  now(): Date;
}

export interface PauseResponse {
  status: number;
  body: Record<string, unknown>;
}

const FIX = 'Fix: send {"paused": true, "reason": "why", "by": "you@example.com"}.';

function bad(parameter: string, message: string): PauseResponse {
  return { status: 400, body: { error: `${parameter}: ${message}`, parameter } };
}

function view(settings: Settings, effective: EffectivePause, sw: PauseState | null): Record<string, unknown> {
  return {
    ...effective,
    setting: settings.paused,
    switch: sw,
    ...(settings.paused && !sw?.paused ? { note: 'App setting OPS_PAUSED=true keeps automation paused whatever the switch says.' } : {}),
  };
}

export async function getPause(deps: PauseDeps): Promise<PauseResponse> {
  const sw = await deps.control.getPause();
  const effective = await isPaused(deps.settings, { getPause: async () => sw });
  return { status: 200, body: view(deps.settings, effective, sw) };
}

/** `text` is the body read with its size limit (null: larger than the limit). */
export async function setPause(deps: PauseDeps, headers: Headers, text: string | null, maxChars: number): Promise<PauseResponse> {
  if (text === null || text.length > maxChars) return bad('body', `larger than ${maxChars} characters.`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad('body', `not valid JSON. ${FIX}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('body', `must be a JSON object. ${FIX}`);
  const b = body as Record<string, unknown>;
  const checked = checkBodyValue<{ paused: boolean; reason: string }>('pauseSet', b);
  if (!checked.ok) return checked.invalid;
  const { paused, reason } = checked.value;
  const who = callerIdentity(headers, b, deps.settings, {
    role: OPERATOR_ROLE,
    purpose: 'pause or resume automation',
    field: 'by',
    fieldRequired: true,
    fieldFix: '"by": "you@example.com"',
  });
  if (!who.ok) return { status: who.status, body: { error: who.error, ...(who.parameter ? { parameter: who.parameter } : {}) } };

  const at = deps.now().toISOString();
  const stored = await deps.control.setPause({ paused, reason, by: who.by, at });
  const effective = await isPaused(deps.settings, { getPause: async () => stored });
  const record: AuditRecord = {
    id: `control:pause:${at}:${createHash('sha256').update(`${who.by}\0${stored.paused}\0${stored.reason}`).digest('hex').slice(0, 16)}`,
    at,
    kind: 'control',
    actor: actorOf(who),
    proof: who.proof,
    decision: stored.paused ? 'pause' : 'resume',
    result: effective.paused ? `automation paused (${effective.source})` : 'automation running',
    detail: `${stored.paused ? 'Paused' : 'Resumed'} automation via POST /api/pause (${proofText(who)}): ${stored.reason}`,
  };
  await deps.audit.write([record]);
  return { status: 200, body: view(deps.settings, effective, stored) };
}
