// Runbook expand-pvc: grow a PersistentVolumeClaim by runbooks.expand-pvc.step (a percentage of
// its current capacity, or a quantity), never beyond runbooks.expand-pvc.max, and only when its
// StorageClass (storage.k8s.io/v1) has allowVolumeExpansion: true (otherwise the API server's
// PersistentVolumeClaimResize admission answers 403, and we refuse before asking).
// The new size is fixed at plan time, so every retry patches the same spec.resources.requests.storage.
// Then the resize is followed through the claim's status (Kubernetes "Expanding Persistent
// Volumes Claims"): conditions Resizing (the external resizer works on the volume) and
// FileSystemResizePending (the kubelet grows the file system when a pod mounts it),
// status.allocatedResourceStatuses["storage"] (ControllerResizeInProgress, NodeResizePending,
// ...Failed), and finally status.capacity.storage >= the request.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { RunbookResult, Target } from '../domain/types.js';
import {
  FIELD_MANAGER,
  dryRunQuery,
  kube,
  label,
  mergePatch,
  planFor,
  readOrMissing,
  resultFor,
  type Health,
  type RunbookContext,
  type RunbookModule,
} from './module.js';
import { formatQuantity, parseQuantity } from './quantity.js';

const RUNBOOK = 'expand-pvc';
const GiB = 2 ** 30;

async function readPvc(ctx: RunbookContext, target: Target): Promise<V1PersistentVolumeClaim | undefined> {
  return readOrMissing(target, `get ${label(target)}`, () =>
    ctx.apis.core.readNamespacedPersistentVolumeClaim({ name: target.name, namespace: target.namespace }),
  );
}

const requested = (pvc: V1PersistentVolumeClaim): number | null => parseQuantity(String(pvc.spec?.resources?.requests?.['storage'] ?? ''));
const capacity = (pvc: V1PersistentVolumeClaim): number | null => parseQuantity(String(pvc.status?.capacity?.['storage'] ?? ''));

/** Where the resize stands, from the claim's status. */
export function resizeState(pvc: V1PersistentVolumeClaim, want: number): { done: boolean; failed?: string; message: string } {
  const cap = capacity(pvc) ?? 0;
  const conditions = pvc.status?.conditions ?? [];
  const allocated = pvc.status?.allocatedResourceStatuses?.['storage'];
  if (allocated && /Failed$/.test(allocated))
    return { done: false, failed: `the resize failed (status.allocatedResourceStatuses.storage=${allocated})`, message: allocated };
  const err = conditions.find((c) => (c.type === 'ControllerResizeError' || c.type === 'NodeResizeError') && c.status === 'True');
  if (err) return { done: false, failed: `the resize failed (${err.type}: ${err.message ?? ''})`, message: err.type };
  if (cap >= want && !conditions.some((c) => (c.type === 'Resizing' || c.type === 'FileSystemResizePending') && c.status === 'True')) {
    return { done: true, message: `status.capacity.storage is ${formatQuantity(cap)}` };
  }
  const fsPending = conditions.find((c) => c.type === 'FileSystemResizePending' && c.status === 'True');
  if (fsPending)
    return {
      done: false,
      message: `volume expanded; file system resize pending on the node (FileSystemResizePending)${fsPending.message ? `: ${fsPending.message}` : ''}`,
    };
  if (conditions.some((c) => c.type === 'Resizing' && c.status === 'True'))
    return { done: false, message: 'the external resizer is expanding the volume (Resizing)' };
  return { done: false, message: `waiting for the resize to start (capacity ${formatQuantity(cap)}, requested ${formatQuantity(want)})` };
}

export const expandPvc: RunbookModule = {
  async plan(ctx, { target }) {
    const summary = `expand ${label(target)}`;
    const pvc = await readPvc(ctx, target);
    if (!pvc) return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} does not exist` });
    if (pvc.status?.phase !== 'Bound')
      return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} is ${pvc.status?.phase ?? 'not bound'}; only bound claims can be resized` });
    const scName = pvc.spec?.storageClassName;
    if (!scName)
      return planFor(RUNBOOK, target, summary, [], { refusal: `${label(target)} has no storageClassName: only dynamically provisioned claims can be resized` });
    const sc = await readOrMissing(target, `get storageclass ${scName}`, () => ctx.apis.storage.readStorageClass({ name: scName }));
    if (!sc) return planFor(RUNBOOK, target, summary, [], { refusal: `storage class ${scName} of ${label(target)} does not exist` });
    if (sc.allowVolumeExpansion !== true) {
      return planFor(RUNBOOK, target, summary, [], {
        refusal: `storage class ${scName} does not allow volume expansion (allowVolumeExpansion is not true); the claim cannot grow. Fix: migrate the data to a claim of an expandable class`,
      });
    }
    const current = Math.max(requested(pvc) ?? 0, capacity(pvc) ?? 0);
    const e = ctx.settings.expand;
    const step = e.stepBytes ?? Math.ceil((current * (e.stepPercent ?? 20)) / 100);
    // Round up to whole GiB: Azure disks are sized in GiB.
    let next = Math.ceil((current + Math.max(step, 1)) / GiB) * GiB;
    if (next > e.maxBytes) next = e.maxBytes;
    if (next <= current) {
      return planFor(RUNBOOK, target, `${summary}: already at ${formatQuantity(current)}, the cap is ${e.max}`, [], {
        refusal: `${label(target)} is already at the cap runbooks.expand-pvc.max (${e.max}). Fix: a human decides on more storage`,
      });
    }
    const size = formatQuantity(next);
    return planFor(
      RUNBOOK,
      target,
      `${summary} from ${formatQuantity(current)} to ${size} (storage class ${scName}, cap ${e.max})`,
      [
        `merge-patch ${label(target)}: spec.resources.requests.storage ${pvc.spec?.resources?.requests?.['storage'] ?? '?'} -> ${size}`,
        'the external resizer expands the volume (condition Resizing), then the kubelet grows the file system (FileSystemResizePending)',
        `wait until status.capacity.storage >= ${size}`,
      ],
      { fixed: { size } },
    );
  },

  async run(ctx, args): Promise<RunbookResult> {
    const { target, dryRun } = args;
    const result = resultFor(RUNBOOK, dryRun, target);
    const size = String(args.fixed['size'] ?? '');
    const want = parseQuantity(size);
    if (want === null) return result({ action: `expand ${label(target)}`, outcome: 'failed', detail: 'the plan fixed no size (planRunbook must run first)' });
    const action = `expand ${label(target)} to ${size}`;
    const pvc = await readPvc(ctx, target);
    if (!pvc) return result({ action, outcome: 'skipped', detail: `${label(target)} no longer exists` });
    const already = (requested(pvc) ?? 0) >= want;
    if (!already && args.iteration === 0) {
      const opts = await mergePatch();
      await kube(target, `patch ${label(target)}`, () =>
        ctx.apis.core.patchNamespacedPersistentVolumeClaim(
          {
            name: target.name,
            namespace: target.namespace,
            body: { spec: { resources: { requests: { storage: size } } } },
            fieldManager: FIELD_MANAGER,
            ...dryRunQuery(dryRun),
          },
          opts,
        ),
      );
    }
    if (dryRun) return result({ action: `would ${action}`, outcome: 'done' });
    const fresh = already || args.iteration > 0 ? pvc : ((await readPvc(ctx, target)) ?? pvc);
    const state = resizeState(fresh, want);
    const outcome = already && args.iteration === 0 ? 'already-done' : 'done';
    if (state.failed) return result({ action, outcome: 'failed', detail: state.failed });
    if (state.done) return result({ action, outcome, detail: state.message });
    return result({ action, outcome, pending: { reason: state.message, retryAfterSeconds: ctx.settings.progressIntervalSeconds } });
  },

  async health(ctx, { target, fixed }): Promise<Health> {
    const pvc = await readPvc(ctx, target);
    if (!pvc) return { healthy: false, detail: `${label(target)} does not exist` };
    const want = parseQuantity(String(fixed['size'] ?? '')) ?? requested(pvc) ?? 0;
    const s = resizeState(pvc, want);
    return { healthy: s.done, detail: s.failed ?? s.message };
  },
};
