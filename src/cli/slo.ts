// aksops slo rules  [--config FILE] [--format prometheus|prometheusrule] [--name N] [--namespace NS] [--out FILE]
//   The recording rules and multi-window multi-burn-rate alerts for every SLO in the config, as a
//   Prometheus rule file (rule_files:) or a prometheus-operator PrometheusRule (docs/slo.md).
// aksops slo status [--config FILE] [--url URL] [--at ISO]
//   Each SLO's error budget and burn rates. With --url (or $AKSOPS_URL): what the app last stored
//   (GET /api/slo, function key from $AKSOPS_FUNCTION_KEY); without: read now from the config's
//   Prometheus with your own network access.
import { writeFileSync } from 'node:fs';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { OpsConfig } from '../config/schema.js';
import { prometheusRuleFile, prometheusRuleResource } from '../slo/rules.js';
import { readSloState } from '../slo/evaluate.js';
import { configPath, parseFlags, UsageError } from './args.js';
import type { CliIo } from './io.js';

export const SLO_USAGE = `aksops slo rules [--config FILE] [--format prometheus|prometheusrule] [--name N] [--namespace NS] [--out FILE]
    Recording rules and multi-window multi-burn-rate alerts for every SLO in the config: a
    Prometheus rule file (default) or a PrometheusRule resource; check it with promtool check rules.
aksops slo status [--config FILE] [--url URL] [--at ISO]
    Each SLO's error budget left, burn rates and status, one JSON object per SLO: from the app's
    last evaluation with --url (or $AKSOPS_URL), else read now from the config's Prometheus.`;

function loadSlo(path: string | undefined, io: CliIo, command: string): { slo: NonNullable<OpsConfig['slo']> } | number {
  let cfg: OpsConfig;
  try {
    cfg = loadConfigFile(configPath(path, io.env), io.cwd).source;
  } catch (e) {
    if (e instanceof ConfigError) return (io.err(e.message), 1);
    throw e;
  }
  if (!cfg.slo) return (io.err(`aksops ${command}: the config has no slo section. Fix: add slo: {prometheus, objectives} (docs/slo.md)`), 1);
  return { slo: cfg.slo };
}

function flags<T extends Record<string, string | boolean | undefined>>(
  args: string[],
  spec: Parameters<typeof parseFlags>[1],
  command: string,
  io: CliIo,
): T | number {
  if (args.includes('--help') || args.includes('-h')) return (io.out(SLO_USAGE), 0);
  try {
    return parseFlags(args, spec, command).values as T;
  } catch (e) {
    if (e instanceof UsageError) return (io.err(`${e.message}\n\n${SLO_USAGE}`), 2);
    throw e;
  }
}

export const SLO_RULES_FLAGS = {
  config: { type: 'string' },
  format: { type: 'string' },
  name: { type: 'string' },
  namespace: { type: 'string' },
  out: { type: 'string' },
} as const;
export const SLO_STATUS_FLAGS = { config: { type: 'string' }, url: { type: 'string' }, at: { type: 'string' } } as const;

export async function runSloRules(args: string[], io: CliIo): Promise<number> {
  const v = flags<{ config?: string; format?: string; name?: string; namespace?: string; out?: string }>(args, SLO_RULES_FLAGS, 'slo rules', io);
  if (typeof v === 'number') return v;
  const format = v.format ?? 'prometheus';
  if (format !== 'prometheus' && format !== 'prometheusrule')
    return (io.err(`aksops slo rules: --format "${format}" is not a format. Fix: use prometheus or prometheusrule`), 2);
  const loaded = loadSlo(v.config, io, 'slo rules');
  if (typeof loaded === 'number') return loaded;
  const text =
    format === 'prometheus'
      ? prometheusRuleFile(loaded.slo.objectives)
      : prometheusRuleResource(loaded.slo.objectives, { name: v.name ?? 'aksops-slos', namespace: v.namespace ?? 'monitoring' });
  if (v.out) {
    writeFileSync(v.out, text);
    io.err(`wrote ${loaded.slo.objectives.length} SLO(s) to ${v.out}`);
  } else io.out(text.trimEnd());
  return 0;
}

export async function runSloStatus(args: string[], io: CliIo): Promise<number> {
  const v = flags<{ config?: string; url?: string; at?: string }>(args, SLO_STATUS_FLAGS, 'slo status', io);
  if (typeof v === 'number') return v;
  const url = v.url ?? io.env['AKSOPS_URL'];
  if (url) {
    const key = io.env['AKSOPS_FUNCTION_KEY'];
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/+$/, '')}/api/slo`, { headers: { accept: 'application/json', ...(key ? { 'x-functions-key': key } : {}) } });
    } catch (e) {
      return (io.err(`aksops slo status: ${url} cannot be reached (${(e as Error).message}). Fix: check --url / AKSOPS_URL`), 1);
    }
    const text = await res.text();
    if (!res.ok)
      return (
        io.err(
          `aksops slo status: HTTP ${res.status} ${text.slice(0, 300)}${res.status === 401 ? '. Fix: set AKSOPS_FUNCTION_KEY to a function key of the app' : ''}`,
        ),
        1
      );
    for (const e of (JSON.parse(text) as { slos: unknown[] }).slos) io.out(JSON.stringify(e));
    return 0;
  }
  const at = v.at ? Date.parse(v.at) : Date.now();
  if (!Number.isFinite(at)) return (io.err(`aksops slo status: --at "${v.at}" is not a time. Fix: e.g. --at 2026-03-01T06:00:00Z`), 2);
  const loaded = loadSlo(v.config, io, 'slo status');
  if (typeof loaded === 'number') return loaded;
  const { prometheusClientFor } = await import('../adapters/prometheus.js');
  const client = prometheusClientFor(loaded.slo.prometheus, io.env['AZURE_CLIENT_ID']);
  let failed = 0;
  for (const o of loaded.slo.objectives) {
    try {
      io.out(JSON.stringify(await readSloState(client, o, at)));
    } catch (e) {
      failed++;
      io.err(`aksops slo status: ${o.name}: ${(e as Error).message}`);
    }
  }
  return failed > 0 ? 1 : 0;
}
