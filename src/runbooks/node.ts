// Runbooks cordon-node and uncordon-node: spec.unschedulable as `kubectl cordon` / `uncordon`
// set it (a strategic merge patch of the Node; kubectl/pkg/drain/cordon.go). Idempotent: a node
// already in the wanted state is not patched. Nodes of protected pools are refused here too
// (the pool from the AKS label kubernetes.azure.com/agentpool, else from the node name).
import type { V1Node } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import { poolOfNode } from '../domain/protection.js';
import {
  FIELD_MANAGER,
  dryRunQuery,
  kube,
  label,
  planFor,
  readOrMissing,
  resultFor,
  strategicMerge,
  type Health,
  type RunbookApis,
  type RunbookContext,
  type RunbookModule,
} from './module.js';

/** The node's pool (agentpool label, else its name): src/domain/protection.ts. */
export const poolOf: (node: V1Node) => string | null = poolOfNode;

export function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function readNode(apis: Pick<RunbookApis, 'core'>, target: Target): Promise<V1Node | undefined> {
  return readOrMissing(target, `get ${label(target)}`, () => apis.core.readNode({ name: target.name }));
}

/** Why the node may not be touched (its pool is protected), or undefined. */
export function protectedPoolReason(ctx: RunbookContext, node: V1Node): string | undefined {
  const pool = poolOf(node);
  if (pool && ctx.isProtectedPool?.(pool)) return `node pool ${pool} is protected by config`;
  return undefined;
}

export async function setUnschedulable(apis: RunbookApis, target: Target, value: boolean, dryRun: boolean): Promise<void> {
  const opts = await strategicMerge();
  await kube(target, `patch ${label(target)}`, () =>
    apis.core.patchNode({ name: target.name, body: { spec: { unschedulable: value } }, fieldManager: FIELD_MANAGER, ...dryRunQuery(dryRun) }, opts),
  );
}

function cordonModule(runbook: 'cordon-node' | 'uncordon-node', value: boolean): RunbookModule {
  const verb = value ? 'cordon' : 'uncordon';
  return {
    async plan(ctx, { target }) {
      const node = await readNode(ctx.apis, target);
      if (!node) return planFor(runbook, target, `${verb} ${label(target)}`, [], { refusal: `${label(target)} does not exist` });
      const refusal = protectedPoolReason(ctx, node);
      const now = node.spec?.unschedulable === true;
      return planFor(
        runbook,
        target,
        `${verb} ${label(target)} (pool ${poolOf(node) ?? 'unknown'}, ${isReady(node) ? 'Ready' : 'NotReady'}, ${now ? 'unschedulable' : 'schedulable'} now)`,
        [
          now === value ? 'nothing to change' : `strategic-merge-patch ${label(target)}: spec.unschedulable = ${value}`,
          value ? 'pods already on the node keep running; new pods are not scheduled there' : 'the scheduler may place new pods on the node again',
        ],
        { refusal },
      );
    },
    async run(ctx, { target, dryRun }): Promise<RunbookResult> {
      const result = resultFor(runbook, dryRun, target);
      const node = await readNode(ctx.apis, target);
      if (!node) return result({ action: `${verb} ${label(target)}`, outcome: 'skipped', detail: `${label(target)} does not exist` });
      const refusal = protectedPoolReason(ctx, node);
      if (refusal) return result({ action: `${verb} ${label(target)}`, outcome: 'skipped', detail: `protected: ${refusal}` });
      if ((node.spec?.unschedulable === true) === value)
        return result({
          action: `${verb} ${label(target)}`,
          outcome: 'already-done',
          detail: `the node is already ${value ? 'unschedulable' : 'schedulable'}`,
        });
      await setUnschedulable(ctx.apis, target, value, dryRun);
      return result({ action: dryRun ? `would ${verb} ${label(target)}` : `${verb}ed ${label(target)}`, outcome: 'done' });
    },
    async health(ctx, { target }): Promise<Health> {
      const node = await readNode(ctx.apis, target);
      if (!node) return { healthy: false, detail: `${label(target)} does not exist` };
      const ok = (node.spec?.unschedulable === true) === value;
      return { healthy: ok, detail: `the node is ${node.spec?.unschedulable ? 'unschedulable' : 'schedulable'} and ${isReady(node) ? 'Ready' : 'NotReady'}` };
    },
  };
}

export const cordonNode = cordonModule('cordon-node', true);
export const uncordonNode = cordonModule('uncordon-node', false);
