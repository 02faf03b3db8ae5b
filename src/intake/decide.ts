// The one decision function shared by the webhook and `aksops rules test`: for each alert of a
// payload, which rule and runbook apply, on which target, and whether to start, resolve,
// refuse or ignore. Pure: what already runs is passed in (`existing`), nothing is read here.
import { createHash } from 'node:crypto';
import type { AlertDecision, AlertmanagerAlert, AlertmanagerWebhook, RemediationInput, Target } from '../domain/types.js';
import type { CompiledConfig, CompiledRule } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import { matchesAll } from '../domain/matchers.js';
import { renderTemplate } from '../domain/template.js';
import { RUNBOOKS, checkParams } from '../runbooks/catalogue.js';
import { approvalPolicy, progressPolicy } from '../runbooks/policy.js';
import { protectedReason } from '../domain/protection.js';
import { errorBudgetField } from '../slo/policy.js';

export interface PlannedAlert extends AlertDecision {
  alertname: string;
  /** The alert's endsAt (the zero time while firing). */
  endsAt: string;
  /** Present when decision is 'start'. */
  input?: RemediationInput;
}

export interface DecideOptions {
  /** Instance IDs that exist already (in any state): a start becomes 'duplicate'. */
  existing?: (instanceId: string) => boolean;
  /** OPS_FORCE_DRY_RUN: every start is dry-run whatever the rule says. */
  forceDryRun?: boolean;
}

/**
 * Deterministic orchestration ID for one alert occurrence under one rule. Alertmanager keeps
 * fingerprint and startsAt across resends, HA peers and the resolved notification, so every
 * copy of the same occurrence maps to the same ID. startsAt is normalised to epoch ms so
 * "…00Z" and "…00.000Z" agree.
 */
export function remediationInstanceId(fingerprint: string, startsAt: string, rule: string): string {
  const ms = Date.parse(startsAt);
  const h = createHash('sha256').update(`${fingerprint.toLowerCase()}|${ms}|${rule}`).digest('hex');
  return `rem-${h.slice(0, 32)}`;
}

/** Rules indexed by their alertname equality matcher, so an alert is tried only against rules that can match it. */
export interface RuleIndex {
  byAlertname: Map<string, CompiledRule[]>;
  /** Rules without an alertname="..." matcher: tried for every alert. */
  others: CompiledRule[];
}

const indexCache = new WeakMap<CompiledConfig, RuleIndex>();

export function ruleIndex(cfg: CompiledConfig): RuleIndex {
  let idx = indexCache.get(cfg);
  if (idx) return idx;
  idx = { byAlertname: new Map(), others: [] };
  for (const r of cfg.rules) {
    const eq = r.matchers.find((m) => m.name === 'alertname' && m.op === '=');
    if (eq) {
      const list = idx.byAlertname.get(eq.value) ?? [];
      list.push(r);
      idx.byAlertname.set(eq.value, list);
    } else idx.others.push(r);
  }
  indexCache.set(cfg, idx);
  return idx;
}

/** The rules matching these labels, in config order, honouring `continue` (first match wins otherwise). */
export function matchingRules(cfg: CompiledConfig, labels: Record<string, string>, cluster: string): CompiledRule[] {
  const idx = ruleIndex(cfg);
  const named = idx.byAlertname.get(labels['alertname'] ?? '') ?? [];
  const out: CompiledRule[] = [];
  // Merge the two config-ordered lists by rule index.
  let i = 0;
  let j = 0;
  while (i < named.length || j < idx.others.length) {
    const a = named[i];
    const b = idx.others[j];
    const r = a && (!b || a.index < b.index) ? (i++, a) : (j++, b!);
    if (r.clusters && !r.clusters.includes(cluster)) continue;
    if (!matchesAll(r.matchers, labels)) continue;
    out.push(r);
    if (!r.continue) break;
  }
  return out;
}

/** The configured cluster an alert belongs to, by its alertLabels; a single cluster without alertLabels takes every alert. */
export function clusterFor(cfg: CompiledConfig, labels: Record<string, string>): ClusterConfig | null {
  for (const c of cfg.clusters) {
    const want = Object.entries(c.alertLabels);
    if (want.length === 0) {
      if (cfg.clusters.length === 1) return c;
      continue;
    }
    if (want.every(([k, v]) => labels[k] === v)) return c;
  }
  return null;
}

function base(a: AlertmanagerAlert): Pick<PlannedAlert, 'fingerprint' | 'status' | 'alertname' | 'endsAt'> {
  return { fingerprint: a.fingerprint, status: a.status, alertname: a.labels['alertname'] ?? '', endsAt: a.endsAt };
}

/** Decides every alert of a validated payload. One entry per alert and matched rule (or one 'no-match'). */
export function decideAlerts(payload: AlertmanagerWebhook, cfg: CompiledConfig, opts: DecideOptions = {}): PlannedAlert[] {
  const out: PlannedAlert[] = [];
  const seen = new Set<string>();
  for (const a of payload.alerts) {
    const cluster = clusterFor(cfg, a.labels);
    if (!cluster) {
      out.push({
        ...base(a),
        rule: null,
        runbook: null,
        target: null,
        decision: 'no-match',
        instanceId: null,
        reason: 'no configured cluster matches the alert labels (clusters[].alertLabels)',
      });
      continue;
    }
    const rules = matchingRules(cfg, a.labels, cluster.name);
    if (rules.length === 0) {
      out.push({ ...base(a), rule: null, runbook: null, target: null, decision: 'no-match', instanceId: null, reason: 'no rule matches' });
      continue;
    }
    for (const rule of rules) out.push(decideOne(a, rule, cluster, cfg, payload, seen, opts));
  }
  return out;
}

function decideOne(
  a: AlertmanagerAlert,
  rule: CompiledRule,
  cluster: ClusterConfig,
  cfg: CompiledConfig,
  payload: AlertmanagerWebhook,
  seen: Set<string>,
  opts: DecideOptions,
): PlannedAlert {
  const def = RUNBOOKS[rule.runbook]!;
  const instanceId = remediationInstanceId(a.fingerprint, a.startsAt, rule.name);
  const common = { ...base(a), rule: rule.name, runbook: rule.runbook, instanceId };
  const params: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, tpl] of Object.entries(rule.params)) {
    const { value, missing } = renderTemplate(tpl, a.labels);
    if (missing.length) problems.push(`parameter "${name}" needs label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the alert does not carry`);
    else params[name] = value;
  }
  if (problems.length === 0) problems.push(...checkParams(def, params));
  if (problems.length > 0) return { ...common, target: null, decision: 'invalid', reason: problems.join('; ') };
  const target = def.target(cluster.name, params);
  if (a.status === 'resolved') return { ...common, target, decision: 'resolve' };
  const prot = protectedReason(cfg, target);
  if (prot) return { ...common, target, decision: 'protected', reason: prot };
  if (seen.has(instanceId)) return { ...common, target, decision: 'duplicate', reason: 'the same alert occurrence appears twice in this payload' };
  seen.add(instanceId);
  if (opts.existing?.(instanceId)) return { ...common, target, decision: 'duplicate', reason: 'a remediation for this alert occurrence already exists' };
  return {
    ...common,
    target,
    decision: 'start',
    input: {
      instanceId,
      rule: rule.name,
      runbook: rule.runbook,
      params,
      target,
      dryRun: opts.forceDryRun === true || rule.dryRun,
      alert: { fingerprint: a.fingerprint, startsAt: a.startsAt, labels: { ...a.labels }, externalURL: payload.externalURL },
      guard: rule.guard,
      verifyAfterSeconds: rule.verifyAfterSeconds,
      source: 'alert',
      ...approvalField(cfg, rule, target),
      ...(rule.silence ? { silence: { enabled: true, maxSeconds: cfg.alertmanager.silenceSeconds } } : {}),
      ...(rule.notify ? { notify: [...rule.notify] } : {}),
      progress: progressPolicy(cfg, rule.runbook),
      ...errorBudgetField(cfg.source, target),
    },
  };
}

function approvalField(cfg: CompiledConfig, rule: CompiledRule, target: Target): Pick<RemediationInput, 'approval'> {
  const approval = approvalPolicy(cfg, RUNBOOKS[rule.runbook]!, target, rule.approval);
  return approval ? { approval } : {};
}
