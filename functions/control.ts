// GET  /api/pause  -> the effective pause state (app setting OPS_PAUSED or the HTTP switch)
// POST /api/pause  {"paused": true|false, "reason": "...", "by": "..."} -> sets the switch and
//      writes an audit record of kind 'control'. `by` is the Easy Auth principal
//      (x-ms-client-principal-name) when present, else the required body field `by`.
import { createHash } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AuditStore } from '../src/adapters/audit-store.js';
import { ControlStore, isPaused, type EffectivePause, type PauseState } from '../src/adapters/control-store.js';
import { readSettings, type Settings } from '../src/config/settings.js';
import type { AuditRecord } from '../src/domain/types.js';
import { errorResponse } from './audit.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface PauseHandlerDeps {
  settings: () => Settings;
  control: (settings: Settings) => ControlStore;
  audit: (settings: Settings) => AuditStore;
  now?: () => Date;
}

const MAX_BODY_CHARS = 16_384;
const PRINCIPAL_HEADER = 'x-ms-client-principal-name';

function bad(parameter: string, message: string): HttpResponseInit {
  return { status: 400, jsonBody: { error: `${parameter}: ${message}`, parameter } };
}

function view(settings: Settings, effective: EffectivePause, sw: PauseState | null) {
  return {
    ...effective,
    setting: settings.paused,
    switch: sw,
    ...(settings.paused && !sw?.paused
      ? { note: 'App setting OPS_PAUSED=true keeps automation paused whatever the switch says.' }
      : {}),
  };
}

export function createPauseHandlers(deps: PauseHandlerDeps): { getPause: Handler; setPause: Handler } {
  const now = deps.now ?? (() => new Date());

  const getPause: Handler = async (_request, context) => {
    try {
      const settings = deps.settings();
      const sw = await deps.control(settings).getPause();
      const effective = await isPaused(settings, { getPause: async () => sw });
      return { status: 200, jsonBody: view(settings, effective, sw) };
    } catch (err) {
      return errorResponse(err, context, 'read pause state');
    }
  };

  const setPause: Handler = async (request, context) => {
    let body: unknown;
    const text = await request.text();
    if (text.length > MAX_BODY_CHARS) return bad('body', `larger than ${MAX_BODY_CHARS} characters.`);
    try {
      body = JSON.parse(text);
    } catch {
      return bad('body', 'not valid JSON. Fix: send {"paused": true, "reason": "why", "by": "you@example.com"}.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return bad('body', 'must be a JSON object. Fix: send {"paused": true, "reason": "why", "by": "you@example.com"}.');
    }
    const b = body as Record<string, unknown>;
    if (typeof b.paused !== 'boolean') {
      return bad('paused', `must be true or false (a JSON boolean), got ${b.paused === undefined ? 'nothing' : JSON.stringify(b.paused).slice(0, 40)}.`);
    }
    if (typeof b.reason !== 'string' || b.reason.trim() === '') {
      return bad('reason', 'required: say why, e.g. "reason": "maintenance window INC-1234".');
    }
    if (b.reason.length > 1000) return bad('reason', 'longer than 1000 characters.');
    const principal = request.headers.get(PRINCIPAL_HEADER)?.trim();
    let by: string;
    if (principal) {
      by = principal;
    } else if (typeof b.by === 'string' && b.by.trim() !== '') {
      by = b.by.trim();
    } else {
      return bad('by', `required when the request carries no Easy Auth principal (${PRINCIPAL_HEADER}). Fix: add "by": "you@example.com".`);
    }
    if (by.length > 256) return bad('by', 'longer than 256 characters.');

    try {
      const settings = deps.settings();
      const at = now().toISOString();
      const stored = await deps.control(settings).setPause({ paused: b.paused, reason: b.reason.trim(), by, at });
      const effective = await isPaused(settings, { getPause: async () => stored });
      const record: AuditRecord = {
        id: `control:pause:${at}:${createHash('sha256').update(`${by}\0${stored.paused}\0${stored.reason}`).digest('hex').slice(0, 16)}`,
        at,
        kind: 'control',
        actor: `user:${by}`,
        decision: stored.paused ? 'pause' : 'resume',
        result: effective.paused ? `automation paused (${effective.source})` : 'automation running',
        detail: `${stored.paused ? 'Paused' : 'Resumed'} automation via POST /api/pause: ${stored.reason}`,
      };
      await deps.audit(settings).write([record]);
      context.log(`pause switch set to ${stored.paused} by ${by}`);
      return { status: 200, jsonBody: view(settings, effective, stored) };
    } catch (err) {
      return errorResponse(err, context, 'set pause switch');
    }
  };

  return { getPause, setPause };
}

const handlers = createPauseHandlers({
  settings: () => readSettings(process.env),
  control: (s) => ControlStore.fromSettings(s),
  audit: (s) => AuditStore.fromSettings(s),
});
export const getPauseHandler: Handler = handlers.getPause;
export const setPauseHandler: Handler = handlers.setPause;

app.http('pauseGet', { route: 'pause', methods: ['GET'], authLevel: 'function', handler: getPauseHandler });
app.http('pauseSet', { route: 'pause', methods: ['POST'], authLevel: 'function', handler: setPauseHandler });
