// The restore's protection and refusal checks (src/backup/restore.ts planRestore/restoreStep and
// src/backup/restore-runner.ts), called directly over the strict fake Kubernetes API and Azurite,
// so mutation testing (issue #19) can run them quickly: one backup for the whole file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupIdFor } from '../../src/backup/manifest.js';
import { readManifest } from '../../src/backup/manifest-write.js';
import { planRestore, restoreStep } from '../../src/backup/restore.js';
import type { BackupEnv } from '../../src/backup/env.js';
import type { RestoreInput, RestorePlan, RestoreStepInput } from '../../src/domain/backup-types.js';
import { CLUSTER, createWorld, seedShop, type World } from './world.js';

let w: World;
let env: BackupEnv;
const ID = backupIdFor(new Date('2025-01-01T02:00:00Z'), 'nightly');
// Mutation testing re-runs this file for every mutant against one Azurite (vitest.mutation.config.ts
// sets MUTATION_REUSE_BACKUP): fixed containers and key, and the backup the first run took is
// reused, so a mutant costs its tests, not a backup. The suite takes a fresh backup every time.
const reuse = process.env['MUTATION_REUSE_BACKUP'] === '1';

beforeAll(async () => {
  w = await createWorld({ tag: 'restore-prot', ...(reuse ? { fixed: { kek: Buffer.alloc(32, 7).toString('base64') } } : {}) });
  seedShop(w.kube, 'shop');
  w.kube.seed('configmaps', { metadata: { name: 'ci-config', namespace: 'ci' }, data: { a: '1' } });
  w.kube.seed('clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'ci-deployer-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }],
  });
  w.kube.seed('clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'ci-deployer' },
    rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  });
  w.backups.clusters[0]!.objects.clusterResources.clusterRoleBindings = ['*'];
  w.backups.clusters[0]!.objects.clusterResources.clusterRoles = ['ci-deployer'];
  // The cluster's config protects "payments" (besides kube-system & co., which no config can free).
  env = { ...w.env, protectedNamespaces: () => new Set(['payments']) };
  if (reuse && (await readManifest(env, CLUSTER, ID))) return;
  // Imported only to take the backup (they load every backup kind's SDK).
  const [{ createReplayHarness }, { backupOrchestrator }, { backupActivities }] = await Promise.all([
    import('../support/replay-harness.js'),
    import('../../orchestrations/backup.js'),
    import('../../src/backup/activities.js'),
  ]);
  const activities = { ...backupActivities(env), writeAudit: async () => undefined } as never;
  const h = createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts: ['objects'], trigger: 'cli', requestedBy: 'test', applyRetention: false },
    activities,
    startTime: '2025-01-01T02:00:00.000Z',
  });
  expect((await h.run()).status).toBe('completed');
}, 120_000);
afterAll(async () => {
  await w.stop();
});

// Loaded on first use: the runner imports every restore kind (Grafana, Key Vault, S3, PostgreSQL).
const runRestore = async (...a: Parameters<(typeof import('../../src/backup/restore-runner.js'))['runRestore']>) =>
  (await import('../../src/backup/restore-runner.js')).runRestore(...a);

const input = (over: Partial<RestoreInput> = {}): RestoreInput => ({
  restoreId: 'r1',
  cluster: CLUSTER,
  backupId: ID,
  conflict: 'skip',
  dryRun: true,
  requestedBy: 'user:x',
  ...over,
});

async function refusal(over: Partial<RestoreInput>): Promise<Error> {
  const e: unknown = await planRestore(env, input(over)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe('planRestore refuses protected targets before anything is applied', () => {
  it('refuses a namespaceMap entry into a config-protected namespace, even for a namespace not restored, naming the entry and the fix', async () => {
    const e = await refusal({ namespaces: ['shop'], namespaceMap: { ci: 'payments' } });
    expect(e.message).toBe(
      'namespaceMap: "ci" -> "payments": namespace payments is protected in cluster ms5-prod: nothing is restored or rebound into it. Fix: map it to another namespace',
    );
  });

  it('refuses a namespaceMap entry into kube-system, which no config can free', async () => {
    const e = await refusal({ namespaces: ['shop'], namespaceMap: { shop: 'shop-copy', ci: 'kube-system' } });
    expect(e.message).toBe(
      'namespaceMap: "ci" -> "kube-system": namespace kube-system is protected in cluster ms5-prod: nothing is restored or rebound into it. Fix: map it to another namespace',
    );
  });

  it('refuses to restore a namespace in place when that namespace is protected by config', async () => {
    const prot: BackupEnv = { ...env, protectedNamespaces: () => new Set(['shop']) };
    const e: unknown = await planRestore(prot, input({ namespaces: ['shop'] })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(
      'namespace shop is protected in cluster ms5-prod: nothing is restored into it. Fix: map it to another namespace (namespaceMap)',
    );
  });

  it('refuses a namespace the backup does not hold, listing the ones it has', async () => {
    const e = await refusal({ namespaces: ['billing'] });
    expect(e.message).toBe(`backup ${ID} holds no objects of namespace billing (it has ci, shop)`);
  });

  it('refuses a backup without a manifest as incomplete', async () => {
    const e = await refusal({ backupId: '20240101T000000Z-nightly' });
    expect(e.message).toBe(
      `backup ${CLUSTER}/20240101T000000Z-nightly has no manifest: it is incomplete (or does not exist) and is never restored. Fix: pick a complete backup (aksops backup list)`,
    );
  });

  it('plans a mapped restore into an unprotected namespace, with every namespace in the backup by default', async () => {
    const mapped = await planRestore(env, input({ namespaces: ['shop'], namespaceMap: { shop: 'shop-copy', ci: 'ci-copy' } }));
    expect(mapped.namespaces).toEqual(['shop']);
    expect(mapped.steps.every((s) => s.namespace === 'shop' || s.namespace === null)).toBe(true);
    expect(mapped.steps.some((s) => s.namespace === 'shop')).toBe(true);
    const all = await planRestore(env, input({ namespaceMap: { shop: 'shop-copy', ci: 'ci-copy' }, clusterRbac: true }));
    expect(all.namespaces).toEqual(['ci', 'shop']);
  });
});

describe('planRestore restores cluster-wide RBAC only on request', () => {
  const rbacMessage =
    'the restore would apply cluster-scoped RBAC (clusterrolebindings): cluster-wide privileges are restored only on request. Fix: add "clusterRbac": true (needs the Approver role), or leave those kinds out';

  it('refuses a full restore that holds ClusterRoleBindings without clusterRbac: true', async () => {
    const both = rbacMessage.replace('(clusterrolebindings)', '(clusterrolebindings, clusterroles)');
    expect((await refusal({ namespaceMap: { shop: 'shop-copy', ci: 'ci-copy' } })).message).toBe(both);
    expect((await refusal({ namespaceMap: { shop: 'shop-copy', ci: 'ci-copy' }, clusterRbac: false })).message).toBe(both);
  });

  it('refuses ClusterRoleBindings asked for by kind on a namespace restore without clusterRbac', async () => {
    expect((await refusal({ namespaces: ['shop'], kinds: ['clusterrolebindings'], namespaceMap: { ci: 'ci-copy' } })).message).toBe(rbacMessage);
  });

  it('a namespace restore without RBAC kinds needs no clusterRbac and plans no cluster-scoped RBAC', async () => {
    const p = await planRestore(env, input({ namespaces: ['shop'] }));
    expect(p.steps.flatMap((s) => s.items).filter((i) => i.includes('clusterrolebindings'))).toEqual([]);
  });

  it('with clusterRbac: true the ClusterRoleBindings are planned', async () => {
    const p = await planRestore(env, input({ namespaces: ['shop'], kinds: ['clusterrolebindings'], namespaceMap: { ci: 'ci-copy' }, clusterRbac: true }));
    expect(p.steps.flatMap((s) => s.items).filter((i) => i.includes('clusterrolebindings'))).toHaveLength(1);
  });
});

const stepInput = (plan: RestorePlan, namespaceMap: Record<string, string>, over: Partial<RestoreStepInput> = {}): RestoreStepInput[] =>
  plan.steps.map((step) => ({
    restoreId: 'r1',
    cluster: CLUSTER,
    sourceCluster: CLUSTER,
    backupId: ID,
    step,
    namespaces: plan.namespaces,
    namespaceMap,
    conflict: 'skip',
    dryRun: false,
    fromSnapshots: false,
    ...over,
  }));

describe('restoreStep re-checks every object against protection', () => {
  it('a step handed a map into a protected namespace (the plan bypassed) creates nothing there and fails each namespaced object by name', async () => {
    const plan = await planRestore(env, input({ namespaces: ['ci'], kinds: ['configmaps'] }));
    const outs = [];
    for (const s of stepInput(plan, { ci: 'payments' })) outs.push(await restoreStep(env, s));
    expect(outs.flatMap((o) => o.failed)).toEqual([{ object: 'ConfigMap payments/ci-config', error: 'namespace payments is protected' }]);
    expect(outs.reduce((n, o) => n + o.created + o.updated + o.skipped, 0)).toBe(0);
    expect(w.kube.get('configmaps', 'payments', 'ci-config')).toBeUndefined();
  });

  it('the same step into an unprotected namespace creates the object there', async () => {
    w.kube.seed('namespaces', { metadata: { name: 'ci-restored' } });
    const plan = await planRestore(env, input({ namespaces: ['ci'], kinds: ['configmaps'] }));
    const outs = [];
    for (const s of stepInput(plan, { ci: 'ci-restored' })) outs.push(await restoreStep(env, s));
    expect(outs.flatMap((o) => o.failed)).toEqual([]);
    expect(outs.flatMap((o) => o.objects)).toEqual(['ConfigMap ci-restored/ci-config']);
    expect(w.kube.get('configmaps', 'ci-restored', 'ci-config')?.data).toEqual({ a: '1' });
  });
});

describe("runRestore (aksops restore) stops at the plan's refusal and reports failures", () => {
  it('a protected map target fails the whole restore before any object is applied', async () => {
    const log: string[] = [];
    const e: unknown = await runRestore(env, input({ namespaces: ['ci'], namespaceMap: { ci: 'kube-system' } }), (l) => log.push(l)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(
      'namespaceMap: "ci" -> "kube-system": namespace kube-system is protected in cluster ms5-prod: nothing is restored or rebound into it. Fix: map it to another namespace',
    );
    expect(log).toEqual([]);
    expect(w.kube.get('configmaps', 'kube-system', 'ci-config')).toBeUndefined();
  });

  it('a dry run counts what would be created, logs each step, and is "restored"', async () => {
    const log: string[] = [];
    const out = await runRestore(env, input({ namespaces: ['ci'], namespaceMap: { ci: 'ci-dry' } }), (l) => log.push(l));
    expect(out).toEqual({ restoreId: 'r1', backupId: ID, dryRun: true, created: 2, updated: 0, skipped: 0, failed: [], databases: [], outcome: 'restored' });
    expect(log).toEqual([
      'namespaces: 1 would be created, 0 updated, 0 skipped, 0 failed',
      'configmaps ci: 1 would be created, 0 updated, 0 skipped, 0 failed',
    ]);
    expect(w.kube.get('configmaps', 'ci-dry', 'ci-config')).toBeUndefined();
  });

  it('a real run creates, then a second run skips what exists; an update replaces it', async () => {
    const first = await runRestore(env, input({ dryRun: false, namespaces: ['ci'], namespaceMap: { ci: 'ci-real' } }));
    expect(first).toMatchObject({ created: 2, updated: 0, skipped: 0, outcome: 'restored' });
    const log: string[] = [];
    const again = await runRestore(env, input({ dryRun: false, namespaces: ['ci'], namespaceMap: { ci: 'ci-real' } }), (l) => log.push(l));
    expect(again).toMatchObject({ created: 0, updated: 0, skipped: 2, failed: [], outcome: 'restored' });
    expect(log).toEqual(['namespaces: 0 created, 0 updated, 1 skipped, 0 failed', 'configmaps ci: 0 created, 0 updated, 1 skipped, 0 failed']);
    const update = await runRestore(
      env,
      input({ dryRun: false, conflict: 'update', namespaces: ['ci'], kinds: ['configmaps'], namespaceMap: { ci: 'ci-real' } }),
    );
    expect(update).toMatchObject({ created: 0, updated: 1, skipped: 0, failed: [], outcome: 'restored' });
  });

  it('conflict: update into an existing namespace updates its content and keeps the live Namespace (the role has no update on namespaces)', async () => {
    await runRestore(env, input({ dryRun: false, namespaces: ['ci'], namespaceMap: { ci: 'ci-upd' } }));
    w.kube.modify('namespaces', undefined, 'ci-upd', (ns) => {
      ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'pod-security.kubernetes.io/enforce': 'restricted' };
    });
    const log: string[] = [];
    const update = await runRestore(env, input({ dryRun: false, conflict: 'update', namespaces: ['ci'], namespaceMap: { ci: 'ci-upd' } }), (l) => log.push(l));
    expect(update).toMatchObject({ created: 0, updated: 1, skipped: 1, failed: [], outcome: 'restored' });
    expect(log).toEqual(['namespaces: 0 created, 0 updated, 1 skipped, 0 failed', 'configmaps ci: 0 created, 1 updated, 0 skipped, 0 failed']);
    expect(w.kube.get('namespaces', undefined, 'ci-upd')?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('an object the cluster refuses makes the outcome "restored-with-errors", naming the object and the error', async () => {
    const out = await runRestore(env, input({ dryRun: false, namespaces: ['ci'], kinds: ['configmaps'], namespaceMap: { ci: 'ci-absent' } }));
    expect(out.failed).toEqual([
      { object: 'ConfigMap ci-absent/ci-config', error: 'POST /api/v1/namespaces/ci-absent/configmaps: HTTP 404 NotFound: namespaces "ci-absent" not found' },
    ]);
    expect(out).toMatchObject({ created: 0, updated: 0, skipped: 0, outcome: 'restored-with-errors' });
  });

  it('a database the backup does not hold is refused by the plan', async () => {
    const e: unknown = await runRestore(env, input({ namespaces: ['ci'], namespaceMap: { ci: 'ci-db' }, databases: { app: 'app' } })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe(`backup ${ID} holds no dump of database app`);
  });
});

describe('restoreStep and the plan: survivors of the first mutation run of restore.ts', () => {
  const rejection = (p: Promise<unknown>): Promise<Error> =>
    p.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => {
        expect(e).toBeInstanceOf(Error);
        return e as Error;
      },
    );

  it('a step of a backup without a manifest, or naming an item the backup does not hold, throws naming it', async () => {
    const plan = await planRestore(env, input({ namespaces: ['ci'], kinds: ['configmaps'] }));
    const step = stepInput(plan, { ci: 'ci-x' })[0]!;
    expect((await rejection(restoreStep(env, { ...step, backupId: '20240101T000000Z-nightly' }))).message).toBe(
      `backup ${CLUSTER}/20240101T000000Z-nightly has no manifest`,
    );
    expect((await rejection(restoreStep(env, { ...step, step: { ...step.step, items: ['objects/none.jsonl'] } }))).message).toBe(
      `objects/none.jsonl is not an item of backup ${ID}`,
    );
  });

  it('a scratch label goes on the restored Namespace only, never on the objects in it', async () => {
    const plan = await planRestore(env, input({ namespaces: ['ci'], namespaceMap: { ci: 'ci-scratch' } }));
    for (const s of stepInput(plan, { ci: 'ci-scratch' }, { scratchLabel: 'drill-1' })) await restoreStep(env, s);
    expect(w.kube.get('namespaces', undefined, 'ci-scratch')?.metadata.labels?.['aksops.io/scratch']).toBe('drill-1');
    expect(w.kube.get('configmaps', 'ci-scratch', 'ci-config')?.metadata.labels?.['aksops.io/scratch']).toBeUndefined();
    for (const s of stepInput(plan, { ci: 'ci-plain' })) await restoreStep(env, s);
    expect(w.kube.get('namespaces', undefined, 'ci-plain')?.metadata.labels?.['aksops.io/scratch']).toBeUndefined();
  });

  it('what a step skips is counted, not listed among the objects it restored', async () => {
    w.kube.seed('namespaces', { metadata: { name: 'ci-twice' } });
    const plan = await planRestore(env, input({ namespaces: ['ci'], kinds: ['configmaps'] }));
    const [first] = stepInput(plan, { ci: 'ci-twice' });
    expect(await restoreStep(env, first!)).toMatchObject({ created: 1, skipped: 0, objects: ['ConfigMap ci-twice/ci-config'] });
    expect(await restoreStep(env, first!)).toMatchObject({ created: 0, skipped: 1, objects: [] });
  });

  it('an empty kinds list restores every kind; several kinds restore each of them', async () => {
    const all = await planRestore(env, input({ namespaces: ['shop'] }));
    expect((await planRestore(env, input({ namespaces: ['shop'], kinds: [] }))).steps).toEqual(all.steps);
    const two = await planRestore(env, input({ namespaces: ['shop'], kinds: ['configmaps', 'services'] }));
    expect(two.steps.map((s) => s.stage).sort()).toEqual(['configmaps', 'services']);
  });

  it('the RBAC refusal names ClusterRoles too', async () => {
    expect((await refusal({ namespaces: ['shop'], kinds: ['clusterroles'], namespaceMap: { ci: 'ci-copy' } })).message).toBe(
      'the restore would apply cluster-scoped RBAC (clusterroles): cluster-wide privileges are restored only on request. Fix: add "clusterRbac": true (needs the Approver role), or leave those kinds out',
    );
  });
});
