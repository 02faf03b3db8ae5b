// Maintenance windows (docs/windows.md). Thin: the logic is in src/windows/.
//   activity windowGate                   the one window gate, at orchestration time
//   GET  /api/windows                     ad-hoc windows (open and recently ended)
//   POST /api/windows                     open an ad-hoc maintenance window (Operator role)
//   POST /api/windows/{id}/close          close it early (Operator role)
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { dirname } from 'node:path';
import type { WindowGateInput } from '../src/windows/gate-activity.js';
import { WINDOW_GATE_ACTIVITY } from '../src/windows/activity-names.js';
import type { AdhocDeps, AdhocResponse } from '../src/windows/adhoc.js';
import { activity } from './lib/durable-lazy.js';
import { bodyTooLarge, readText } from './lib/http.js';
import { appSettings, auditStore, configLoader } from './lib/runtime.js';
import { errorResponse } from './audit.js';

async function windowStore() {
  const { WindowStore } = await import('../src/adapters/window-store.js');
  return WindowStore.fromSettings(appSettings());
}

activity(WINDOW_GATE_ACTIVITY, async () => {
  const [loadConfig, audit, store, { windowGate }, { holidayLoader }] = await Promise.all([
    configLoader(),
    auditStore(),
    windowStore(),
    import('../src/windows/gate-activity.js'),
    import('../src/windows/holidays.js'),
  ]);
  const holidays = holidayLoader({ baseDir: dirname(appSettings().opsConfigPath) });
  return (input: unknown, context: InvocationContext) =>
    windowGate(
      {
        windows: () => loadConfig().source.windows,
        adhoc: () => store.list(),
        holidays: () => holidays(loadConfig().source.windows, (m) => context.warn(m)),
        audit: (r) => audit.write(r),
      },
      input as WindowGateInput,
    );
});

async function deps(): Promise<AdhocDeps> {
  const [loadConfig, audit, store] = await Promise.all([configLoader(), auditStore(), windowStore()]);
  return { config: loadConfig, auth: appSettings(), store, audit: (r) => audit.write(r), now: () => new Date() };
}

const respond = (r: AdhocResponse): HttpResponseInit => ({ status: r.status, jsonBody: r.body });

async function handle(
  context: InvocationContext,
  what: string,
  fn: (m: typeof import('../src/windows/adhoc.js'), d: AdhocDeps) => Promise<AdhocResponse>,
): Promise<HttpResponseInit> {
  try {
    const [m, d] = await Promise.all([import('../src/windows/adhoc.js'), deps()]);
    return respond(await fn(m, d));
  } catch (err) {
    return errorResponse(err, context, what);
  }
}

export const listWindowsHandler = (_r: HttpRequest, c: InvocationContext) => handle(c, 'list windows', (m, d) => m.listWindows(d));
export const openWindowHandler = async (r: HttpRequest, c: InvocationContext) => {
  const text = await readText(r);
  if (text === null) return bodyTooLarge();
  return handle(c, 'open window', (m, d) => m.openWindow(d, r.headers, text));
};
export const closeWindowHandler = async (r: HttpRequest, c: InvocationContext) => {
  const text = await readText(r);
  if (text === null) return bodyTooLarge();
  return handle(c, 'close window', (m, d) => m.closeWindow(d, r.headers, r.params['id'] ?? '', text));
};

app.http('windowsList', { route: 'windows', methods: ['GET'], authLevel: 'function', handler: listWindowsHandler });
app.http('windowsOpen', { route: 'windows', methods: ['POST'], authLevel: 'function', handler: openWindowHandler });
app.http('windowsClose', { route: 'windows/{id}/close', methods: ['POST'], authLevel: 'function', handler: closeWindowHandler });
