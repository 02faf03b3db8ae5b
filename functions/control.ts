// GET  /api/pause  -> the effective pause state (app setting OPS_PAUSED or the HTTP switch)
// POST /api/pause  {"paused": true|false, "reason": "...", "by"?: "..."} -> sets the switch and
//      audits it (kind 'control'). Thin: the logic is in src/oncall/pause.ts; the identity
//      (Operator role behind Easy Auth, else the function key and a claimed `by`) in
//      src/oncall/identity.ts.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AuditStore } from '../src/adapters/audit-store.js';
import { ControlStore } from '../src/adapters/control-store.js';
import { getPause, setPause, type PauseDeps, type PauseResponse } from '../src/oncall/pause.js';
import { readSettings, type Settings } from '../src/config/settings.js';
import { errorResponse } from './audit.js';
import { readBodyLimited } from './lib/http-body.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface PauseHandlerDeps {
  settings: () => Settings;
  control: (settings: Settings) => ControlStore;
  audit: (settings: Settings) => AuditStore;
  now?: () => Date;
}

const MAX_BODY_CHARS = 16_384;

export function createPauseHandlers(deps: PauseHandlerDeps): { getPause: Handler; setPause: Handler } {
  const ports = (): PauseDeps => {
    const settings = deps.settings();
    return { settings, control: deps.control(settings), audit: deps.audit(settings), now: deps.now ?? (() => new Date()) };
  };
  const answer = (r: PauseResponse): HttpResponseInit => ({ status: r.status, jsonBody: r.body });
  return {
    getPause: async (_request, context) => getPause(ports()).then(answer, (err: unknown) => errorResponse(err, context, 'read pause state')),
    setPause: async (request, context) => {
      const text = await readBodyLimited(request, MAX_BODY_CHARS);
      return setPause(ports(), request.headers, text, MAX_BODY_CHARS).then(answer, (err: unknown) => errorResponse(err, context, 'set pause switch'));
    },
  };
}

// One store pair per worker, built on first use.
let stores: { control: ControlStore; audit: AuditStore } | undefined;
const handlers = createPauseHandlers({
  settings: () => readSettings(process.env),
  control: (s) => (stores ??= { control: ControlStore.fromSettings(s), audit: AuditStore.fromSettings(s) }).control,
  audit: (s) => (stores ??= { control: ControlStore.fromSettings(s), audit: AuditStore.fromSettings(s) }).audit,
});
export const getPauseHandler: Handler = handlers.getPause;
export const setPauseHandler: Handler = handlers.setPause;

app.http('pauseGet', { route: 'pause', methods: ['GET'], authLevel: 'function', handler: getPauseHandler });
app.http('pauseSet', { route: 'pause', methods: ['POST'], authLevel: 'function', handler: setPauseHandler });
