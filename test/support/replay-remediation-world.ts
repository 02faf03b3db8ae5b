// A small outside world for replaying the remediation orchestration: a cluster with one
// crash-looping pod owned by a Deployment, an audit table that upserts by id, a notification
// sink, and the global pause switch. The activity fakes keep the contracts the real activities
// must keep (orchestrations/remediation.ts): runRunbook is idempotent for (instanceId,
// restartedAt) the way `kubectl rollout restart` is when the restartedAt value is fixed.
import type {
  AuditRecord,
  EscalationPageInput,
  PlanRunbookInput,
  RemediationInput,
  RunbookPlan,
  RunbookResult,
  SilenceInput,
  SilenceResult,
  Target,
  VerifyInput,
  VerifyResult,
} from '../../src/domain/types.js';
import { targetKey } from '../../src/domain/types.js';
import { remediationOrchestrator, type NotifyInput, type ResolveTargetInput, type RunRunbookInput } from '../../orchestrations/remediation.js';
import { GUARD_ENTITY, guardEntity } from '../../orchestrations/guard-entity.js';
import type { WindowsConfig } from '../../src/config/windows-schema.js';
import type { AdhocWindow } from '../../src/windows/policy.js';
import { windowGate, type WindowGateInput } from '../../src/windows/gate-activity.js';
import { createReplayHarness, type HarnessOptions, type PlannedEvent, type ReplayHarness } from './replay-harness.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export const POD: Target = { cluster: 'aks-prod', namespace: 'shop', kind: 'Pod', name: 'api-7d9f8-abcde' };
export const DEPLOYMENT: Target = { cluster: 'aks-prod', namespace: 'shop', kind: 'Deployment', name: 'api' };

export interface World {
  /** Pod template annotations per Deployment (targetKey). */
  deployments: Map<string, Record<string, string>>;
  /** Changes that really reached the cluster (a repeated identical patch is not one). */
  mutations: number;
  paused: boolean;
  /** When set, resolveTarget throws this message. */
  resolveError?: string;
  /** When set, runRunbook throws this message (an API server error). */
  runbookError?: string;
  /** When set, writeAudit throws for records of this kind. */
  auditFailsFor?: AuditRecord['kind'];
  audit: Map<string, AuditRecord>;
  auditWrites: number;
  notifications: Map<string, NotifyInput>;
  notifyCalls: number;
  /** What planRunbook answers: a refusal, or a plan that needs approval (e.g. a scale-down). */
  planRefusal?: string;
  planRequiresApproval?: string;
  planCalls: number;
  /** What Alertmanager says at verification: 'unknown' (unreachable) leaves the verdict to the resolved event. */
  verifyAlert: VerifyResult['alert'];
  verifyHealthy: boolean | null;
  verifyCalls: number;
  /** Pending checks the runbook reports before it is done (a rollout that takes a few checks). */
  pendingChecks: number;
  /** Silences created (id -> expired?). */
  silences: Map<string, boolean>;
  /** The windows config and ad-hoc windows the windowGate activity evaluates (none: always proceed). */
  windows?: WindowsConfig;
  adhoc: AdhocWindow[];
  gateCalls: number;
  /** Escalation pages as a PagerDuty-like service keeps them: one incident per dedup key. */
  incidents: Map<string, { triggers: number; status: 'triggered' | 'resolved'; receivers: string[] }>;
  pageCalls: number;
}

export function newWorld(): World {
  return {
    deployments: new Map([[targetKey(DEPLOYMENT), {}]]),
    mutations: 0,
    paused: false,
    audit: new Map(),
    auditWrites: 0,
    notifications: new Map(),
    notifyCalls: 0,
    planCalls: 0,
    verifyAlert: 'unknown',
    verifyHealthy: true,
    verifyCalls: 0,
    pendingChecks: 0,
    silences: new Map(),
    adhoc: [],
    gateCalls: 0,
    incidents: new Map(),
    pageCalls: 0,
  };
}

/** Notifications of one kind, in the order of their ids. */
export function notificationsOf(world: World, kind: NotifyInput['kind']): NotifyInput[] {
  return [...world.notifications.values()].filter((n) => n.kind === kind);
}

export function activitiesFor(world: World): HarnessOptions['activities'] {
  return {
    resolveTarget: ({ target }: ResolveTargetInput): Target => {
      if (world.resolveError) throw new Error(world.resolveError);
      // A pod "api-7d9f8-abcde" belongs to ReplicaSet "api-7d9f8" of Deployment "api".
      return target.kind === 'Pod' ? { ...target, kind: 'Deployment', name: target.name.split('-').slice(0, -2).join('-') } : target;
    },

    runRunbook: (input: RunRunbookInput): RunbookResult => {
      const base = { runbook: input.runbook, dryRun: input.dryRun, actedOn: input.target };
      const action = `restart ${input.target.kind.toLowerCase()} ${input.target.namespace}/${input.target.name}`;
      if (world.paused) return { ...base, action, outcome: 'skipped', detail: 'paused' };
      if (world.runbookError) throw new Error(world.runbookError);
      const annotations = world.deployments.get(targetKey(input.target));
      if (!annotations) throw new Error(`deployments.apps "${input.target.name}" not found`);
      if (input.dryRun) return { ...base, action: `would ${action}`, outcome: 'done' };
      const iteration = input.iteration ?? 0;
      const pending =
        iteration < world.pendingChecks ? { pending: { reason: `rollout ${iteration + 1} of ${world.pendingChecks + 1}`, retryAfterSeconds: 30 } } : {};
      if (iteration > 0) return { ...base, action, outcome: 'done', ...pending };
      if (annotations[RESTARTED_AT] === input.restartedAt)
        return { ...base, action, outcome: 'already-done', detail: `restartedAt already ${input.restartedAt}`, ...pending };
      annotations[RESTARTED_AT] = input.restartedAt;
      world.mutations++;
      return { ...base, action, outcome: 'done', ...pending };
    },

    planRunbook: (input: PlanRunbookInput): RunbookPlan => {
      world.planCalls++;
      const plan: RunbookPlan = {
        runbook: input.runbook,
        target: input.target,
        summary: `restart ${input.target.kind.toLowerCase()} ${input.target.namespace}/${input.target.name}`,
        steps: ['patch restartedAt'],
        fixed: {},
      };
      if (world.planRefusal) plan.refusal = world.planRefusal;
      if (world.planRequiresApproval) plan.requiresApproval = world.planRequiresApproval;
      return plan;
    },

    verifyRemediation: (_input: VerifyInput): VerifyResult => {
      world.verifyCalls++;
      return { alert: world.verifyAlert, healthy: world.verifyHealthy, detail: `alertmanager: ${world.verifyAlert}` };
    },

    silence: (input: SilenceInput): SilenceResult => {
      if (input.op === 'create') {
        const id = `silence-${input.instanceId}`;
        if (!world.silences.has(id)) world.silences.set(id, false);
        return { silenceId: id, detail: 'created' };
      }
      world.silences.set(input.silenceId, true);
      return { detail: 'expired' };
    },

    // The real activity logic over the world's windows; its audit rows land in the world's audit.
    windowGate: (input: WindowGateInput) => {
      world.gateCalls++;
      return windowGate(
        {
          windows: () => world.windows,
          adhoc: async () => world.adhoc,
          holidays: async () => ({}),
          audit: async (rs) => rs.forEach((r) => world.audit.set(r.id, r)),
        },
        input,
      );
    },

    writeAudit: (record: AuditRecord): void => {
      world.auditWrites++;
      if (world.auditFailsFor === record.kind) throw new Error('audit table unavailable (503)');
      world.audit.set(record.id, record);
    },

    escalationPage: (p: EscalationPageInput): void => {
      world.pageCalls++;
      const i = world.incidents.get(p.key) ?? { triggers: 0, status: 'triggered' as const, receivers: p.receivers };
      if (p.action === 'trigger') world.incidents.set(p.key, { ...i, triggers: i.triggers + 1, status: i.status === 'resolved' ? 'resolved' : 'triggered' });
      else if (world.incidents.has(p.key)) world.incidents.set(p.key, { ...i, status: 'resolved' });
    },

    notify: (n: NotifyInput): void => {
      world.notifyCalls++;
      world.notifications.set(n.id, n);
    },
  };
}

export function remediationInput(over: Partial<RemediationInput> = {}): RemediationInput {
  return {
    instanceId: 'rem-0123456789abcdef0123456789abcdef',
    rule: 'crashloop-restart',
    runbook: 'restart-deployment',
    params: { reason: 'CrashLoopBackOff' },
    target: POD,
    dryRun: false,
    alert: {
      fingerprint: 'f1e2d3c4b5a69788',
      startsAt: '2024-12-31T23:55:00Z',
      labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: POD.name },
      externalURL: 'http://alertmanager:9093',
    },
    guard: { cooldownSeconds: 600, maxActionsPerWindow: 3, windowSeconds: 3600, circuitBreakerThreshold: 2 },
    verifyAfterSeconds: 600,
    ...over,
  };
}

export function remediationHarness(world: World, input: RemediationInput, events: PlannedEvent[] = []): ReplayHarness {
  return createReplayHarness({
    orchestrator: remediationOrchestrator,
    name: 'remediation',
    instanceId: input.instanceId,
    input,
    activities: activitiesFor(world),
    entities: { [GUARD_ENTITY]: guardEntity },
    events,
  });
}
