import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { decideAlerts } from '../intake/decide.js';
import { explainMatcher } from '../domain/matchers.js';
import { PayloadError, parseWebhookJson } from '../intake/payload.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const RULES_TEST_FLAGS = { config: { type: 'string' }, payload: { type: 'string' } } as const;

/**
 * Like `amtool config routes test`: first one line per rule saying how each matcher was read
 * (entry, name, operator, value, which Alertmanager parser), then what the webhook would decide
 * for each alert of the payload.
 */
export async function runRulesTest(args: string[], io: CliIo): Promise<number> {
  let cfgPath: string;
  let payloadPath: string;
  try {
    const { values } = parseFlags(args, RULES_TEST_FLAGS, 'rules test');
    if (!values.payload) throw new UsageError('aksops rules test: --payload FILE is required (a saved Alertmanager webhook body, or - for stdin)');
    cfgPath = configPath(values.config, io.env);
    payloadPath = values.payload;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(e.message), 2);
    throw e;
  }
  let text: string;
  try {
    text = payloadPath === '-' ? io.readStdin() : readFileSync(resolve(io.cwd, payloadPath), 'utf8');
  } catch (e) {
    io.err(`aksops rules test: cannot read payload ${payloadPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return 1;
  }
  try {
    const cfg = loadConfigFile(cfgPath, io.cwd);
    const payload = parseWebhookJson(text);
    for (const r of cfg.rules) io.out(JSON.stringify({ rule: r.name, matchers: r.matchers.map(explainMatcher) }));
    for (const d of decideAlerts(payload, cfg)) {
      io.out(
        JSON.stringify({
          fingerprint: d.fingerprint,
          status: d.status,
          rule: d.rule,
          runbook: d.runbook,
          target: d.target,
          decision: d.decision,
          instanceId: d.instanceId,
          ...(d.reason ? { reason: d.reason } : {}),
          ...(d.input ? { dryRun: d.input.dryRun } : {}),
        }),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    if (e instanceof PayloadError) return (io.err(`${payloadPath}: ${e.message}`), 1);
    throw e;
  }
}
