// The remediation activities' logic, free of the Functions framework: resolve the object a
// runbook acts on, and run the runbook once. The pause switch and protected namespaces are
// checked again here, at the moment of acting (the intake checked them when the alert came in,
// which may have been minutes ago).
import type { KubeAccess, KubeApis, KubeClusterRef } from '../adapters/kube.js';
import type { CompiledConfig } from '../config/load.js';
import { ALWAYS_PROTECTED_NAMESPACES } from '../intake/decide.js';
import type { ResolveTargetInput, RunRunbookInput, RunbookResult, Target } from '../domain/types.js';
import { resolveRestartTarget, restartPod } from './restart-pod.js';

export interface RunbookEnv {
  config: CompiledConfig;
  kube: KubeAccess;
  /** Fails closed: throws when the switch cannot be read, so nothing acts. */
  isPaused(): Promise<{ paused: boolean; reason: string | null }>;
}

interface RunbookImplementation {
  run(apis: KubeApis, input: RunRunbookInput): Promise<RunbookResult>;
}

const IMPLEMENTATIONS: Record<string, RunbookImplementation> = {
  'restart-pod': { run: (apis, i) => restartPod(apis, { target: i.target, dryRun: i.dryRun, restartedAt: i.restartedAt }) },
};

export function clusterRef(config: CompiledConfig, name: string): KubeClusterRef {
  const c = config.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`cluster "${name}" is not in the operations config (clusters[].name). Fix: add it, or check alertLabels`);
  return c;
}

function protectedNamespace(config: CompiledConfig, target: Target): string | null {
  if (!target.namespace) return null;
  if ((ALWAYS_PROTECTED_NAMESPACES as readonly string[]).includes(target.namespace)) return `namespace ${target.namespace} is always protected`;
  if (config.protectedNamespaces.get(target.cluster)?.has(target.namespace)) return `namespace ${target.namespace} is protected by config`;
  return null;
}

/** The object actually acted on: a pod's owning Deployment, or the alert's target itself. */
export async function resolveTarget(env: RunbookEnv, input: ResolveTargetInput): Promise<Target> {
  if (input.target.kind !== 'Pod') return input.target;
  const apis = await env.kube.forCluster(clusterRef(env.config, input.target.cluster));
  return resolveRestartTarget(apis, input.target);
}

export async function runRunbook(env: RunbookEnv, input: RunRunbookInput): Promise<RunbookResult> {
  const skipped = (detail: string): RunbookResult => ({ runbook: input.runbook, dryRun: input.dryRun, action: 'nothing', actedOn: input.target, outcome: 'skipped', detail });
  const impl = IMPLEMENTATIONS[input.runbook];
  if (!impl) return skipped(`runbook ${input.runbook} has no implementation in this version`);
  const pause = await env.isPaused();
  if (pause.paused) return skipped(`paused: ${pause.reason ?? 'automation is paused'}`);
  const prot = protectedNamespace(env.config, input.target);
  if (prot) return skipped(`protected: ${prot}`);
  const apis = await env.kube.forCluster(clusterRef(env.config, input.target.cluster));
  return impl.run(apis, input);
}
