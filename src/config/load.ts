// Loading the operations config: YAML -> schema check -> compiled form (matchers and
// templates compiled once). The function app loads it once per worker (loadConfigOnce).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { opsConfigSchema, type OpsConfig, type ClusterConfig } from './schema.js';
import { parseMatchers, type Matcher } from '../domain/matchers.js';
import { compileTemplate, type CompiledTemplate } from '../domain/template.js';
import { parseDuration } from '../domain/duration.js';
import { compileProtectedScopes } from '../domain/protection.js';
import type { GuardPolicy } from '../domain/types.js';
import {
  compileAlertmanager,
  compileApprovals,
  compileRunbookSettings,
  type AlertmanagerSettings,
  type ApprovalSettings,
  type RunbookSettings,
} from './runbooks-schema.js';

export { ConfigError, type ConfigProblem } from './errors.js';
import { ConfigError } from './errors.js';

export interface CompiledRule {
  index: number;
  name: string;
  matchers: Matcher[];
  runbook: string;
  params: Record<string, CompiledTemplate>;
  dryRun: boolean;
  continue: boolean;
  clusters: string[] | null;
  guard: GuardPolicy;
  verifyAfterSeconds: number;
  /** rules[].approval: 'required', 'none', or undefined (the runbook's default). */
  approval: 'required' | 'none' | undefined;
  silence: boolean;
  /** rules[].notify, or null for every target. */
  notify: string[] | null;
}

export interface CompiledConfig {
  source: OpsConfig;
  rules: CompiledRule[];
  clusters: ClusterConfig[];
  /** Protected namespaces per cluster name: global list plus the cluster's own. */
  protectedNamespaces: Map<string, Set<string>>;
  protectedNodePools: Map<string, Set<string>>;
  /** runbooks: section, compiled (limits per runbook, Job templates). */
  runbooks: RunbookSettings;
  approvals: ApprovalSettings;
  alertmanager: AlertmanagerSettings;
  /** Default guard policy (defaults.guard), for manual runs. */
  defaultGuard: GuardPolicy;
  /** defaults.verifyAfter in seconds, for manual runs. */
  defaultVerifyAfterSeconds: number;
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Parses and checks YAML text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, file = 'ops.yaml'): CompiledConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line,
        message: `${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}. Fix: correct the YAML syntax there`,
      })),
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = opsConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const node = doc.getIn(path, true);
      const line = isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
      return { path: pathText(path), line, message: friendly(issue) };
    });
    throw new ConfigError(file, problems);
  }
  return compile(parsed.data);
}

function friendly(issue: { code: string; message: string; keys?: string[]; expected?: unknown; values?: unknown[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}. Fix: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling (docs/configuration.md lists every key)`;
  }
  if (issue.code === 'invalid_type') return `${issue.message.replace(/^Invalid input: /, '')}. Fix: give a value of type ${String(issue.expected)}`;
  if (issue.code === 'invalid_value' && issue.values) return `${issue.message}. Fix: use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function seconds(d: string | undefined, fallback: number): number {
  return d === undefined ? fallback : parseDuration(d)!;
}

export function compile(cfg: OpsConfig): CompiledConfig {
  const dg = cfg.defaults.guard;
  const defaultGuard: GuardPolicy = {
    cooldownSeconds: seconds(dg.cooldown, 15 * 60),
    maxActionsPerWindow: dg.maxActionsPerWindow ?? 3,
    windowSeconds: seconds(dg.window, 3600),
    circuitBreakerThreshold: dg.circuitBreakerThreshold ?? 3,
  };
  const rules: CompiledRule[] = cfg.rules.map((r, index) => ({
    index,
    name: r.name,
    matchers: r.matchers.flatMap(parseMatchers),
    runbook: r.runbook,
    params: Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, compileTemplate(v)])),
    dryRun: r.dryRun ?? cfg.defaults.dryRun,
    continue: r.continue,
    clusters: r.clusters ?? null,
    guard: {
      cooldownSeconds: seconds(r.guard?.cooldown, defaultGuard.cooldownSeconds),
      maxActionsPerWindow: r.guard?.maxActionsPerWindow ?? defaultGuard.maxActionsPerWindow,
      windowSeconds: seconds(r.guard?.window, defaultGuard.windowSeconds),
      circuitBreakerThreshold: r.guard?.circuitBreakerThreshold ?? defaultGuard.circuitBreakerThreshold,
    },
    verifyAfterSeconds: seconds(r.verifyAfter ?? cfg.defaults.verifyAfter, 600),
    approval: r.approval,
    silence: r.silence ?? false,
    notify: r.notify ?? null,
  }));
  const { protectedNamespaces, protectedNodePools } = compileProtectedScopes(cfg);
  return {
    source: cfg,
    rules,
    clusters: cfg.clusters,
    protectedNamespaces,
    protectedNodePools,
    runbooks: compileRunbookSettings(cfg.runbooks),
    approvals: compileApprovals(cfg.approvals),
    alertmanager: compileAlertmanager(cfg.alertmanager),
    defaultGuard,
    defaultVerifyAfterSeconds: seconds(cfg.defaults.verifyAfter, 600),
  };
}

export function loadConfigFile(path: string, baseDir = process.cwd()): CompiledConfig {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    throw new ConfigError(full, [
      {
        path: '',
        message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Fix: set OPS_CONFIG_PATH to the config file, or pass --config FILE (examples/ops.yaml is a complete example)`,
      },
    ]);
  }
  return parseConfig(text, full);
}

let cached: { path: string; config: CompiledConfig } | undefined;

/** Once per worker process: the config does not change under a running worker. */
export function loadConfigOnce(path: string): CompiledConfig {
  if (!cached || cached.path !== path) cached = { path, config: loadConfigFile(path) };
  return cached.config;
}
