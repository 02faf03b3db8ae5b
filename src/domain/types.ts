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
export type TargetKind =
  | 'Pod'
  | 'Deployment'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'Node'
  | 'PersistentVolumeClaim'
  | 'Job'
  | 'HorizontalPodAutoscaler'
  /** notify-only: the alert itself is the subject; nothing in the cluster is touched. */
  | 'Alert';

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

export type Decision = 'start' | 'duplicate' | 'resolve' | 'no-match' | 'protected' | 'invalid' | 'storm-limited';

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
  /** The alert that started the run; absent for on-call runs started over HTTP. */
  alert?: {
    fingerprint: string;
    startsAt: string;
    labels: Record<string, string>;
    externalURL: string;
  };
  /** Guard limits for the target, resolved from config at intake. */
  guard: GuardPolicy;
  /** How long to wait for the alert to resolve after acting before closing the run (ISO 8601 duration seconds). */
  verifyAfterSeconds: number;
  /** 'alert' (the webhook; the default when absent) or 'manual' (POST /api/runbooks/{name}). */
  source?: 'alert' | 'manual';
  /** Who started a manual run (Easy Auth principal or the request's `requestedBy`). */
  requestedBy?: string;
  /** Approval policy resolved from config when the run was started; absent = no approval. */
  approval?: ApprovalPolicy;
  /** Silence the alert in Alertmanager while the remediation runs (rules[].silence); at most maxSeconds (alertmanager.silenceDuration). */
  silence?: { enabled: boolean; maxSeconds: number };
  /** Notification targets (notifications[].name) for this run; absent = all configured targets. */
  notify?: string[];
  /** Long-running runbooks (rollouts, drains, resizes, jobs): how long and how often to check. */
  progress?: ProgressPolicy;
  /** An error-budget policy (slo.policies) covers the target: ask it before a disruptive action; the longest hold its policies allow (the guard's lease covers it). */
  errorBudget?: { maxWaitSeconds: number };
  /** W3C traceparent of the delivery that started the run: activities continue its trace (src/telemetry/trace.ts). */
  traceparent?: string;
  /** On-call only: act inside a maintenance window (docs/windows.md); audited. */
  overrideWindows?: boolean;
}

export interface ApprovalPolicy {
  /** A human must approve before the action (rule, runbook default, or a protected-by-config scope). */
  required: boolean;
  /** Why approval is (or may become) required, for the approval request. */
  reason?: string;
  /** The rule said `approval: none`: a plan that asks for approval (e.g. a scale-down) is not held either. Scopes config requires still are. */
  waivePlan?: boolean;
  /** How long to wait for a decision before escalating (the run then does not act). */
  timeoutSeconds: number;
  /** paging.escalation: nobody decided `afterSeconds` after the request -> page these receivers (levels in order, before the timeout). */
  escalation?: Array<{ afterSeconds: number; receivers: string[] }>;
}

/** The escalationPage activity's input: trigger or resolve one level's page of a waiting approval (deduplicated by `key`). */
export interface EscalationPageInput {
  key: string;
  action: 'trigger' | 'resolve';
  receivers: string[];
  level: number;
  instanceId: string;
  summary: string;
  source: string;
  at: string;
}

export interface ProgressPolicy {
  /** Give up waiting (and report what is left) after this long. */
  timeoutSeconds: number;
  /** Check again this often (the first check follows the action at once). */
  intervalSeconds: number;
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
  /**
   * The action went through but has not finished (a rollout, a drain waiting on a
   * PodDisruptionBudget, a resize, a Job): the orchestration waits `retryAfterSeconds` on a
   * durable timer and calls runRunbook again with the same input and the next `iteration`.
   */
  pending?: { reason: string; retryAfterSeconds: number };
  /** How far a long action got (drain: pods evicted of total; rollout: updated of desired). */
  progress?: { done: number; total: number };
}

/** What a runbook will do, computed from the cluster before acting; shown in dry-runs and approval requests. */
export interface RunbookPlan {
  runbook: string;
  /** The object the action will change (may differ from the requested target). */
  target: Target;
  /** One sentence: "rollout-restart deployment shop/api (3 replicas)". */
  summary: string;
  /** The steps, in order, for humans. */
  steps: string[];
  /** Set when the runbook will not act (paused Deployment, non-expandable storage class, no previous ReplicaSet, ...). */
  refusal?: string;
  /** Set when this plan needs a human's approval whatever the rule says (e.g. a scale-down). */
  requiresApproval?: string;
  /** Values fixed at plan time and passed to every runRunbook call, so retries act identically (new size, replica count, revision). */
  fixed: Record<string, string | number | boolean>;
}

/** policy: a policy (the error budget) held or let through an action. */
export type AuditKind = 'decision' | 'guard' | 'action' | 'result' | 'control' | 'approval' | 'policy';

/** One row of the audit log. No secret values, ever. */
export interface AuditRecord {
  /** ISO time of the event. */
  at: string;
  kind: AuditKind;
  /** Who or what caused it: "alertmanager", "orchestration", "user:alice@contoso.com". */
  actor: string;
  /** How the actor's identity was proven: "easy-auth", "function-key" (a name in the body is only claimed), "webhook-credential". */
  proof?: string;
  instanceId?: string;
  fingerprint?: string;
  alertname?: string;
  rule?: string;
  runbook?: string;
  /** targetKey(...) of the target, when there is one. */
  target?: string;
  /** A Decision, or a job's own word (held, released, approved, ...). */
  decision?: string;
  dryRun?: boolean;
  result?: string;
  error?: string;
  detail?: string;
  /** Approval decisions: seconds from the request to the decision. Feeds the aksops.approval.wait metric (src/telemetry/metrics.ts); not stored. */
  waitedSeconds?: number;
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
  /** The plan's fixed values (planRunbook); absent for runbooks without a plan step. */
  fixed?: RunbookPlan['fixed'];
  /** 0 for the action, 1, 2, ... for the follow-up checks of a pending action. */
  iteration?: number;
  /** The alert's labels (run-job passes them to the Job as environment variables). */
  labels?: Record<string, string>;
  /** 'manual' runs are human-initiated: the global pause (which stops automation) does not hold them. */
  source?: 'alert' | 'manual';
  /** The run's trace context (RemediationInput.traceparent). */
  traceparent?: string;
}

/** planRunbook: input -> RunbookPlan. Reads only; safe to retry. */
export interface PlanRunbookInput {
  runbook: string;
  params: Record<string, string>;
  target: Target;
  instanceId: string;
  /** Orchestration time, for time windows (rollback-deployment). */
  at: string;
  labels?: Record<string, string>;
}

/** verifyRemediation: input -> VerifyResult. Reads only. */
export interface VerifyInput {
  runbook: string;
  params: Record<string, string>;
  target: Target;
  fixed?: RunbookPlan['fixed'];
  instanceId: string;
  /** The alert to look for in Alertmanager; absent for manual runs. */
  alert?: { labels: Record<string, string>; externalURL: string };
}

export interface VerifyResult {
  /** Is the alert still firing in Alertmanager (active, silenced or inhibited)? 'unknown' when Alertmanager could not be read. */
  alert: 'firing' | 'cleared' | 'unknown' | 'none';
  /** Is the target healthy (rollout complete, node cordoned, PVC resized, ...)? null when the runbook has no health check. */
  healthy: boolean | null;
  detail: string;
}

/** silence: create or expire the run's Alertmanager silence. Never throws for Alertmanager failures (a silence is a courtesy). */
export type SilenceInput =
  | {
      op: 'create';
      instanceId: string;
      labels: Record<string, string>;
      matchLabels: string[];
      externalURL: string;
      durationSeconds: number;
      comment: string;
      at: string;
    }
  | { op: 'expire'; instanceId: string; silenceId: string; externalURL: string };

export interface SilenceResult {
  silenceId?: string;
  detail: string;
}

/** writeAudit: AuditRecord -> ignored. Upserts by record.id (instanceId + step), so a re-run lands on the same row. */
export type WriteAuditInput = AuditRecord;

/**
 * notify: input -> ignored. `id` is stable per run and message so a re-run can be de-duplicated.
 * Never carries a webhook URL or other secret: the activity resolves targets from config and
 * app settings. Delivery failures are logged and audited, never thrown.
 */
export interface NotifyInput {
  id: string;
  /** escalation: a human must look; approval-request: approve or reject; result: how the run ended. */
  kind: 'escalation' | 'approval-request' | 'result';
  at: string;
  instanceId: string;
  rule: string;
  runbook: string;
  /** targetKey(...) of the guarded target. */
  target: string;
  alertname?: string;
  /** The alert's fingerprint; '' for manual runs. */
  fingerprint: string;
  /**
   * escalation: 'circuit-open' (a run was refused by an open breaker), 'breaker-opened' (this run
   * opened it), 'approval-timeout' (nobody decided in time), 'ineffective' (acted, alert still firing).
   * approval-request: 'approval'. result: the run's outcome.
   */
  reason: string;
  detail: string;
  severity?: 'info' | 'warning' | 'critical';
  dryRun?: boolean;
  plan?: { summary: string; steps: string[] };
  /** Notification target names; absent = all configured. */
  targets?: string[];
  /** Approval deadline (approval-request). */
  deadline?: string;
}
