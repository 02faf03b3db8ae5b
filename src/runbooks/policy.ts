// What a run is allowed to do without a human, how long it waits for progress, and which
// channels hear about it: resolved from config once, when the run starts (the webhook or
// POST /api/runbooks/{name}), and carried in the orchestration input. Pure.
import type { CompiledConfig } from '../config/load.js';
import type { ApprovalPolicy, ProgressPolicy, Target } from '../domain/types.js';
import type { RunbookDefinition } from './catalogue.js';
import { parseDuration } from '../domain/duration.js';

/** The approval policy of a run; undefined for runbooks that change nothing (notify-only). */
export function approvalPolicy(
  cfg: CompiledConfig,
  def: RunbookDefinition,
  target: Target,
  ruleApproval: 'required' | 'none' | undefined,
): ApprovalPolicy | undefined {
  if (!def.acts) return undefined;
  const a = cfg.approvals;
  const reasons: string[] = [];
  const inCluster = a.requiredInClusters.includes(target.cluster);
  const inNamespace = target.namespace !== '' && a.requiredInNamespaces.includes(target.namespace);
  if (inCluster) reasons.push(`cluster ${target.cluster} requires approval (approvals.requiredIn.clusters)`);
  if (inNamespace) reasons.push(`namespace ${target.namespace} requires approval (approvals.requiredIn.namespaces)`);
  if (ruleApproval === 'required') reasons.push('the rule requires approval');
  else if (ruleApproval !== 'none' && def.approval === 'required') reasons.push(`runbook ${def.name} requires approval`);
  const policy: ApprovalPolicy = { required: reasons.length > 0, timeoutSeconds: a.timeoutSeconds };
  // Levels due before the timeout page people while the run waits (docs/windows.md#escalation-chain).
  const levels = (cfg.source.paging?.escalation ?? [])
    .map((e) => ({ afterSeconds: parseDuration(e.after)!, receivers: e.receivers }))
    .filter((e) => e.afterSeconds < a.timeoutSeconds);
  if (levels.length > 0) policy.escalation = levels;
  if (reasons.length > 0) policy.reason = reasons.join('; ');
  if (ruleApproval === 'none' && !inCluster && !inNamespace) policy.waivePlan = true;
  return policy;
}

export function progressPolicy(cfg: CompiledConfig, runbook: string): ProgressPolicy {
  const r = cfg.runbooks;
  return { timeoutSeconds: r.timeouts[runbook] ?? r.progressTimeoutSeconds, intervalSeconds: r.progressIntervalSeconds };
}
