// The closed loop's activities, free of the Functions framework:
// - verifyRemediation: is the alert still in Alertmanager (matched by all of its labels: the same
//   series; active, silenced and inhibited all count as firing), and is the target healthy?
// - silence: create the run's silence (matchers: the labels that name the target) before acting
//   and expire it after verifying. Idempotent: a silence whose comment names the run is reused,
//   an expired or unknown one counts as expired. Alertmanager failures never fail the run: a
//   silence is a courtesy to the on-call, the verification says 'unknown'.
import { AlertmanagerClient, AlertmanagerError, alertmanagerBaseUrl } from '../adapters/alertmanager.js';
import type { SilenceInput, SilenceResult, VerifyInput, VerifyResult } from '../domain/types.js';
import { checkHealth, type RunbookEnv } from './run.js';

export interface ClosedLoopEnv extends RunbookEnv {
  /** Builds a client for a base URL (tests point it anywhere; the app adds the API token). */
  alertmanager(baseUrl: string): AlertmanagerClient;
}

/** The configured Alertmanager only: a payload's externalURL is the sender's claim, never called (#12). */
function client(env: ClosedLoopEnv): AlertmanagerClient | null {
  const base = alertmanagerBaseUrl(env.config.alertmanager.url);
  return base ? env.alertmanager(base) : null;
}

function message(e: unknown): string {
  return e instanceof AlertmanagerError ? e.message : `Alertmanager request failed: ${(e as Error).message}`;
}

export async function verifyRemediation(env: ClosedLoopEnv, input: VerifyInput): Promise<VerifyResult> {
  const parts: string[] = [];
  let alert: VerifyResult['alert'] = 'none';
  if (input.alert) {
    const am = client(env);
    if (!am) {
      alert = 'unknown';
      parts.push('no Alertmanager URL configured: not verified (set alertmanager.url in ops.yaml)');
    } else {
      try {
        const found = await am.alerts(input.alert.labels);
        alert = found.length > 0 ? 'firing' : 'cleared';
        parts.push(
          found.length > 0
            ? `Alertmanager still has the alert (${found.map((a) => a.status.state).join(', ')} since ${found[0]!.startsAt})`
            : `the alert is no longer in Alertmanager ${am.baseUrl}`,
        );
      } catch (e) {
        alert = 'unknown';
        parts.push(message(e));
      }
    }
  }
  const health = await checkHealth(env, input);
  if (health) parts.push(`target: ${health.detail}`);
  return { alert, healthy: health ? health.healthy : null, detail: parts.join('; ') || 'nothing to check' };
}

export async function silence(env: ClosedLoopEnv, input: SilenceInput): Promise<SilenceResult> {
  const am = client(env);
  if (!am) return { detail: 'no Alertmanager URL configured (alertmanager.url): no silence' };
  try {
    if (input.op === 'expire') {
      const r = await am.expireSilence(input.silenceId);
      return { detail: r === 'expired' ? `silence ${input.silenceId} expired` : `silence ${input.silenceId} was already gone` };
    }
    const matchers = Object.fromEntries(input.matchLabels.filter((k) => input.labels[k] !== undefined).map((k) => [k, input.labels[k]!]));
    if (Object.keys(matchers).length === 0) return { detail: 'no labels to silence on' };
    // A retried activity finds the silence it created (its comment names the run).
    const existing = (await am.silences(matchers)).find((s) => s.status.state !== 'expired' && s.comment.includes(input.instanceId));
    if (existing) return { silenceId: existing.id, detail: `silence ${existing.id} already exists` };
    const startsAt = new Date(Date.parse(input.at)).toISOString();
    const endsAt = new Date(Math.max(Date.now(), Date.parse(input.at)) + input.durationSeconds * 1000).toISOString();
    const id = await am.createSilence({ matchers, startsAt, endsAt, createdBy: 'aksops', comment: input.comment });
    return { silenceId: id, detail: `silence ${id} until ${endsAt}` };
  } catch (e) {
    return { detail: `no silence: ${message(e)}` };
  }
}
