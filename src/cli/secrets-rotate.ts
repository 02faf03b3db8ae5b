// `aksops secrets rotate NAME --url URL [--dry-run]`: asks the deployed function app to rotate a
// secret now (POST /api/rotations with the function key from AKSOPS_FUNCTION_KEY), and prints its
// answer: the decision (started, duplicate, stale, in-progress, ...) and the instance ID to follow
// with GET /api/rotations/{instanceId}. The CLI holds no Azure credentials of its own here.
import { parseFlags, UsageError } from './args.js';
import { call, FINISHED, progressLine, waitFor } from './http.js';
import type { CliIo } from './io.js';

export const SECRETS_ROTATE_FLAGS = { url: { type: 'string' }, app: { type: 'string' }, 'dry-run': { type: 'boolean' }, wait: { type: 'boolean' } } as const;

export async function runSecretsRotate(args: string[], io: CliIo, fetchImpl: typeof fetch = fetch): Promise<number> {
  let name: string;
  let app: string;
  let dryRun: boolean;
  let wait: boolean;
  try {
    const { values, positionals } = parseFlags(args, SECRETS_ROTATE_FLAGS, 'secrets rotate');
    if (positionals.length !== 1)
      throw new UsageError(
        'aksops secrets rotate: name exactly one secret. Usage: aksops secrets rotate NAME --url https://<app>.azurewebsites.net [--dry-run]',
      );
    name = positionals[0]!;
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) throw new UsageError(`aksops secrets rotate: "${name}" is not a Key Vault secret name`);
    // --url / $AKSOPS_URL like the other commands that call the app; --app is kept as an alias.
    app = values.url ?? values.app ?? io.env['AKSOPS_URL'] ?? '';
    if (!/^https?:\/\//.test(app))
      throw new UsageError('aksops secrets rotate: the app URL is missing. Fix: pass --url https://<app>.azurewebsites.net or set AKSOPS_URL');
    dryRun = values['dry-run'] === true;
    wait = values.wait === true;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  const key = io.env['AKSOPS_FUNCTION_KEY'];
  let res: Response;
  try {
    res = await fetchImpl(`${app.replace(/\/+$/, '')}/api/rotations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(key ? { 'x-functions-key': key } : {}) },
      body: JSON.stringify({ secret: name, ...(dryRun ? { dryRun: true } : {}) }),
    });
  } catch (e) {
    io.err(`aksops secrets rotate: ${app} did not answer (${(e as Error).message})`);
    return 1;
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    io.err(`aksops secrets rotate: ${res.status} from ${app}. Fix: set AKSOPS_FUNCTION_KEY to a function key of the app (az functionapp keys list)`);
    return 1;
  }
  io.out(text);
  const ok = res.status >= 200 && res.status < 300;
  const id = ok ? (JSON.parse(text) as { instanceId?: string }).instanceId : undefined;
  if (!wait || !id) return ok ? 0 : 1;
  // --wait: follow GET /api/rotations/{id} until the orchestration ends.
  return waitFor(io, `rotation ${id}`, {
    poll: async () => {
      const r = await call(io, app, 'GET', `/api/rotations/${encodeURIComponent(id)}`);
      if (r.status !== 200) return { done: true, ok: false, line: `HTTP ${r.status}` };
      const b = r.body as Record<string, unknown>;
      return { done: FINISHED.has(String(b['runtimeStatus'])), ok: b['runtimeStatus'] === 'Completed', line: progressLine(b) };
    },
  });
}
