// GET /api/doctor (function key): `aksops doctor` run by the app with its own identity, which is
// the one that matters in production (src/doctor/checks.ts). 200 when every check passed, else 503;
// the body is the rows either way.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { DoctorDeps } from '../src/doctor/checks.js';
import { appSettings } from './lib/runtime.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function createDoctorHandler(deps: () => Promise<DoctorDeps>): Handler {
  return async (_request, context) => {
    const [{ runDoctorChecks }, { redactSecrets }] = await Promise.all([import('../src/doctor/checks.js'), import('../src/domain/redact.js')]);
    let d: DoctorDeps;
    try {
      d = await deps();
    } catch (e) {
      const error = redactSecrets((e as Error).message);
      context.warn(`doctor: ${error}`);
      return { status: 503, jsonBody: { error: `${error} (GET /api/health names what is missing)` } };
    }
    const rows = await runDoctorChecks(d);
    const failed = rows.filter((r) => r.status === 'fail').length;
    return { status: failed === 0 ? 200 : 503, jsonBody: { ok: failed === 0, failed, rows } };
  };
}

const handler = createDoctorHandler(async () => (await import('../src/cli/doctor.js')).doctorDeps(appSettings().opsConfigPath, process.env, process.cwd()));
app.http('doctor', { route: 'doctor', methods: ['GET'], authLevel: 'function', handler });
