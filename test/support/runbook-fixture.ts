// A strict fake Kubernetes API and the runbook context the activities build, for runbook tests
// through the real @kubernetes/client-node: every API group the catalogue uses, the runbook
// limits from the config schema's defaults (overridable), and protected namespaces/pools.
import { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, PolicyV1Api, StorageV1Api } from '@kubernetes/client-node';
import { startFakeKubeApiServer, type FakeKubeApiServer, type RecordedRequest } from '../fakes/kube-api-server.js';
import { compileRunbookSettings, runbooksSchema } from '../../src/config/runbooks-schema.js';
import type { RunbookContext, RunArgs, PlanArgs } from '../../src/runbooks/module.js';
import type { Target } from '../../src/domain/types.js';

export const AT = '2025-03-01T10:15:00Z';

export interface RunbookFixture {
  kube: FakeKubeApiServer;
  ctx: RunbookContext;
  stop(): Promise<void>;
  /** Writes (non-GET requests) since the last clearRequests, as "METHOD path?query" (query keys sorted). */
  writes(): string[];
  writeRequests(): RecordedRequest[];
}

export async function runbookFixture(opts: { runbooks?: unknown; protectedNamespaces?: string[]; protectedPools?: string[] } = {}): Promise<RunbookFixture> {
  const kube = await startFakeKubeApiServer({ token: 'runbook-test-token' });
  const kc = kube.kubeConfig();
  const ctx: RunbookContext = {
    apis: {
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      batch: kc.makeApiClient(BatchV1Api),
      policy: kc.makeApiClient(PolicyV1Api),
      autoscaling: kc.makeApiClient(AutoscalingV2Api),
      storage: kc.makeApiClient(StorageV1Api),
    },
    settings: compileRunbookSettings(runbooksSchema.parse(opts.runbooks ?? {})),
    isProtectedNamespace: (ns) => ['kube-system', ...(opts.protectedNamespaces ?? [])].includes(ns),
    isProtectedPool: (pool) => (opts.protectedPools ?? []).includes(pool),
  };
  const writeRequests = () => kube.writes();
  return {
    kube,
    ctx,
    stop: () => kube.stop(),
    writeRequests,
    writes: () =>
      writeRequests().map(
        (w) =>
          `${w.method} ${w.path}${Object.keys(w.query).length ? `?${new URLSearchParams(Object.entries(w.query).sort(([a], [b]) => a.localeCompare(b))).toString()}` : ''}`,
      ),
  };
}

export const target = (kind: Target['kind'], namespace: string, name: string): Target => ({ cluster: 'ms5-prod', namespace, kind, name });

export function planArgs(t: Target, params: Record<string, string>, over: Partial<PlanArgs> = {}): PlanArgs {
  return { params, target: t, at: AT, instanceId: 'rem-test-0001', ...over };
}

export function runArgs(t: Target, params: Record<string, string>, fixed: RunArgs['fixed'], over: Partial<RunArgs> = {}): RunArgs {
  return { params, target: t, at: AT, instanceId: 'rem-test-0001', dryRun: false, fixed, iteration: 0, ...over };
}
