// Plain data shapes shared by the intake, the orchestrations, the activities and the CLI.
// Nothing here imports a framework: these cross the durable history as JSON.

/** One alert as Alertmanager's webhook (payload version 4) sends it. Unknown fields are dropped. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager webhook payload, version 4 (only the fields we use are typed). */
export interface AlertmanagerWebhook {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/** Kubernetes object kinds a runbook can act on. */
export type TargetKind = 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Node' | 'PersistentVolumeClaim' | 'Job';

/** What a remediation acts on. `namespace` is '' for cluster-scoped kinds (Node). */
export interface Target {
  cluster: string;
  namespace: string;
  kind: TargetKind;
  name: string;
}

/** Guard entity key: one remediation at a time per cluster/namespace/kind/name. */
export function targetKey(t: Target): string {
  return `${t.cluster}/${t.namespace || '_'}/${t.kind}/${t.name}`;
}

export type Decision = 'start' | 'duplicate' | 'resolve' | 'no-match' | 'protected' | 'invalid';

/** The decision for one alert against one matched rule (or none). Printed by `aksops rules test`. */
export interface AlertDecision {
  fingerprint: string;
  status: 'firing' | 'resolved';
  rule: string | null;
  runbook: string | null;
  target: Target | null;
  decision: Decision;
  instanceId: string | null;
  /** Why, for no-match / protected / invalid / duplicate. */
  reason?: string;
}

/** Input of the remediation orchestration. Never carries secret values. */
export interface RemediationInput {
  instanceId: string;
  rule: string;
  runbook: string;
  params: Record<string, string>;
  target: Target;
  dryRun: boolean;
  alert: {
    fingerprint: string;
    startsAt: string;
    labels: Record<string, string>;
    externalURL: string;
  };
  /** Guard limits for the target, resolved from config at intake. */
  guard: GuardPolicy;
  /** How long to wait for the alert to resolve after acting before closing the run (ISO 8601 duration seconds). */
  verifyAfterSeconds: number;
}

export interface GuardPolicy {
  cooldownSeconds: number;
  maxActionsPerWindow: number;
  windowSeconds: number;
  /** Consecutive failed or ineffective remediations that open the circuit breaker. */
  circuitBreakerThreshold: number;
}

/** Result of running a runbook's action once. */
export interface RunbookResult {
  runbook: string;
  dryRun: boolean;
  /** What was (or would have been) done, for humans: "deleted pod shop/api-7d9-abc". */
  action: string;
  /** The object actually acted on (may differ from the alert's target, e.g. the owning Deployment). */
  actedOn: Target;
  outcome: 'done' | 'already-done' | 'skipped' | 'failed';
  detail?: string;
}

export type AuditKind = 'decision' | 'guard' | 'action' | 'result' | 'control';

/** One row of the audit log. No secret values, ever. */
export interface AuditRecord {
  /** ISO time of the event. */
  at: string;
  kind: AuditKind;
  /** Who or what caused it: "alertmanager", "orchestration", "user:alice@contoso.com". */
  actor: string;
  instanceId?: string;
  fingerprint?: string;
  alertname?: string;
  rule?: string;
  runbook?: string;
  /** targetKey(...) of the target, when there is one. */
  target?: string;
  decision?: Decision | string;
  dryRun?: boolean;
  result?: string;
  error?: string;
  detail?: string;
  /** Stable id: the same event written twice (retry, replay) lands on the same row. */
  id: string;
}

// ---- Activity contracts of the remediation orchestration (they cross the durable history as JSON; no secret values)

/** resolveTarget: input -> Target (the object actually acted on, e.g. a pod's owning Deployment). */
export interface ResolveTargetInput {
  target: Target;
}

/**
 * runRunbook: input -> RunbookResult. Must be idempotent for the same (instanceId, restartedAt):
 * Durable runs activities at least once, so a crash after the action but before its result was
 * recorded runs it again with the identical input (restartedAt is fixed in the history). Checks the
 * global pause switch itself and returns outcome 'skipped', detail 'paused'. Throwing is reported
 * as a failed action.
 */
export interface RunRunbookInput {
  runbook: string;
  params: Record<string, string>;
  target: Target;
  dryRun: boolean;
  /** Orchestration time when the action was scheduled: the value for kubectl.kubernetes.io/restartedAt. */
  restartedAt: string;
  instanceId: string;
}

/** writeAudit: AuditRecord -> ignored. Upserts by record.id (instanceId + step), so a re-run lands on the same row. */
export type WriteAuditInput = AuditRecord;

/** notify: input -> ignored. `id` is stable per run so a re-run can be de-duplicated. */
export interface NotifyInput {
  id: string;
  kind: 'escalation';
  at: string;
  instanceId: string;
  rule: string;
  runbook: string;
  /** targetKey(...) of the guarded target. */
  target: string;
  alertname?: string;
  fingerprint: string;
  /** 'circuit-open': a run was refused by an open breaker; 'breaker-opened': this run opened it. */
  reason: 'circuit-open' | 'breaker-opened';
  detail: string;
}
