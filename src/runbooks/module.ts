// The runbook module contract and its shared plumbing: what every runbook file exports
// (RunbookModule: plan, run, health), the client-node APIs it takes, a Kubernetes call wrapped
// so its failure names the cluster, the object, the verb and the fix, and the patch content
// types (client-node 1.x sends JSON Patch unless told otherwise).
//
// Errors: a definitive API answer (4xx) becomes outcome 'failed' with the reason (run.ts does
// that with KubeCallError.retryable false); transport errors, 429 and 5xx are thrown so the
// caller may try again.
import type { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, PolicyV1Api, StorageV1Api, V1OwnerReference, V1ObjectMeta } from '@kubernetes/client-node';
import type { RunbookSettings } from '../config/runbooks-schema.js';
import type { RunbookPlan, RunbookResult, Target } from '../domain/types.js';
import { describeKubeError, isKubeStatus, isRetryableKubeError, kubeFailureOf } from '../adapters/kube-errors.js';

/** Recorded by the API server in managedFields as the writer. */
export const FIELD_MANAGER = 'aksops';

/** The clients the runbooks use; KubeApis (src/adapters/kube.ts) satisfies it. */
export interface RunbookApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  policy: PolicyV1Api;
  autoscaling: AutoscalingV2Api;
  storage: StorageV1Api;
}

export interface RunbookContext {
  apis: RunbookApis;
  settings: RunbookSettings;
  /** Namespaces of the cluster automation never touches (always-protected plus config). */
  isProtectedNamespace?(namespace: string): boolean;
  /** Node pools of the cluster automation never touches. */
  isProtectedPool?(pool: string): boolean;
}

export interface PlanArgs {
  /** Effective parameters (defaults filled in, empty values dropped). */
  params: Record<string, string>;
  target: Target;
  /** Orchestration time (RFC 3339). */
  at: string;
  instanceId: string;
  labels?: Record<string, string>;
}

export interface RunArgs extends PlanArgs {
  dryRun: boolean;
  /** The plan's fixed values (the same on every retry). */
  fixed: RunbookPlan['fixed'];
  /** 0 for the action, then 1, 2, ... for the checks of a pending action. */
  iteration: number;
}

export interface HealthArgs {
  params: Record<string, string>;
  target: Target;
  fixed: RunbookPlan['fixed'];
  instanceId: string;
}

export interface Health {
  healthy: boolean;
  detail: string;
}

export interface RunbookModule {
  plan(ctx: RunbookContext, args: PlanArgs): Promise<RunbookPlan>;
  run(ctx: RunbookContext, args: RunArgs): Promise<RunbookResult>;
  health?(ctx: RunbookContext, args: HealthArgs): Promise<Health>;
}

/** A failed Kubernetes call, with the object and verb it was about. */
export class KubeCallError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(
    readonly target: Target,
    readonly what: string,
    readonly original: unknown,
  ) {
    super(`cluster ${target.cluster}: ${what} failed: ${describeKubeError(original)}${fixFor(original)}`, { cause: original });
    this.retryable = isRetryableKubeError(original);
    this.status = kubeFailureOf(original)?.code;
  }
}

// A 403 carries its own fix (src/permissions/forbidden.ts, through describeKubeError).
function fixFor(err: unknown): string {
  const code = kubeFailureOf(err)?.code;
  if (code === 401) return '. Fix: the cluster rejected the credentials; check the identity has access to the cluster (AKS-managed Entra ID integration)';
  return '';
}

export const label = (t: Target): string => `${t.kind.toLowerCase()} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;

/** Runs a call; failures become KubeCallError naming the object. */
export async function kube<T>(target: Target, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new KubeCallError(target, what, e);
  }
}

/** The object, or undefined when the API server answers 404. */
export async function readOrMissing<T>(target: Target, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (isKubeStatus(e, 404)) return undefined;
    throw new KubeCallError(target, what, e);
  }
}

export function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return (meta?.ownerReferences ?? []).find((o) => o.controller === true);
}

export { isKubeStatus };

type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: Promise<ClientNode> | undefined;
/** client-node, loaded once (the adapter has already loaded it; cold start should not pay twice). */
function k8s(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

/** Request options for a strategic merge patch (what kubectl sends for built-in kinds). */
export async function strategicMerge() {
  const { PatchStrategy, setHeaderOptions } = await k8s();
  return setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
}

/** Request options for an RFC 7386 merge patch. */
export async function mergePatch() {
  const { PatchStrategy, setHeaderOptions } = await k8s();
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

/** Request options for an RFC 6902 JSON patch (client-node's default, made explicit). */
export async function jsonPatch() {
  const { PatchStrategy, setHeaderOptions } = await k8s();
  return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
}

/** An RFC 3339 time, as the orchestration passes `at` (restartedAt, rollbacks). */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const dryRunQuery = (dryRun: boolean): { dryRun?: string } => (dryRun ? { dryRun: 'All' } : {});

/** A RunbookResult builder bound to the runbook, dry-run flag and target. */
export function resultFor(runbook: string, dryRun: boolean, actedOn: Target) {
  return (r: Pick<RunbookResult, 'action' | 'outcome'> & Partial<Pick<RunbookResult, 'detail' | 'pending' | 'progress' | 'actedOn'>>): RunbookResult => ({
    runbook,
    dryRun,
    actedOn,
    ...r,
  });
}

/** A plan builder: refusals and approvals are set only when given. */
export function planFor(
  runbook: string,
  target: Target,
  summary: string,
  steps: string[],
  extra: { refusal?: string | undefined; requiresApproval?: string | undefined; fixed?: RunbookPlan['fixed'] } = {},
): RunbookPlan {
  const plan: RunbookPlan = { runbook, target, summary, steps, fixed: extra.fixed ?? {} };
  if (extra.refusal) plan.refusal = extra.refusal;
  if (extra.requiresApproval) plan.requiresApproval = extra.requiresApproval;
  return plan;
}

export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
