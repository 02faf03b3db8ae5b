// runRestore (src/backup/restore-runner.ts, what `aksops restore` runs) over in-memory doubles of
// the steps it calls: its loops over the plan's steps, CRDs, databases, volumes and services, the
// counts, result rows, log lines and outcome. The steps themselves run against Azurite and the
// fake API server in restore.test.ts, volumes.test.ts, s3.test.ts and
// restore-protection-mutation.test.ts; this file starts no server, so mutation testing (issue #19)
// re-runs it in milliseconds per mutant.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackupEnv } from '../../src/backup/env.js';
import type { RestoreInput, RestorePlan, RestoreStep, RestoreStepOutput } from '../../src/domain/backup-types.js';

type Fn<M, K extends keyof M> = M[K] extends (...a: infer A) => infer R ? (...a: A) => R : never;
type RestoreMod = typeof import('../../src/backup/restore.js');
const d = vi.hoisted(() => ({
  planRestore: vi.fn<Fn<RestoreMod, 'planRestore'>>(),
  restoreStep: vi.fn<Fn<RestoreMod, 'restoreStep'>>(),
  waitCrds: vi.fn<Fn<RestoreMod, 'waitCrds'>>(),
  restoreDatabase: vi.fn<Fn<typeof import('../../src/backup/postgres.js'), 'restoreDatabase'>>(),
  restoreGrafana: vi.fn<Fn<typeof import('../../src/backup/grafana-restore.js'), 'restoreGrafana'>>(),
  restoreKeyVault: vi.fn<Fn<typeof import('../../src/backup/keyvault-restore.js'), 'restoreKeyVault'>>(),
  restoreS3: vi.fn<Fn<typeof import('../../src/backup/s3-restore.js'), 'restoreS3'>>(),
  restoreVolumeStep: vi.fn<Fn<typeof import('../../src/backup/volumes.js'), 'restoreVolumeStep'>>(),
}));
vi.mock('../../src/backup/restore.js', () => ({ planRestore: d.planRestore, restoreStep: d.restoreStep, waitCrds: d.waitCrds }));
vi.mock('../../src/backup/postgres.js', () => ({ restoreDatabase: d.restoreDatabase }));
vi.mock('../../src/backup/grafana-restore.js', () => ({ restoreGrafana: d.restoreGrafana }));
vi.mock('../../src/backup/keyvault-restore.js', () => ({ restoreKeyVault: d.restoreKeyVault }));
vi.mock('../../src/backup/s3-restore.js', () => ({ restoreS3: d.restoreS3 }));
vi.mock('../../src/backup/volumes.js', () => ({ restoreVolumeStep: d.restoreVolumeStep }));

const { runRestore } = await import('../../src/backup/restore-runner.js');

const ENV = { marker: 'the env handed to every step' } as unknown as BackupEnv;
const ID = '20250101T020000Z-nightly';
const input = (over: Partial<RestoreInput> = {}): RestoreInput => ({
  restoreId: 'r1',
  cluster: 'c1',
  backupId: ID,
  conflict: 'skip',
  dryRun: false,
  requestedBy: 'user:x',
  ...over,
});
const plan = (over: Partial<RestorePlan> = {}): RestorePlan => ({
  restoreId: 'r1',
  backupId: ID,
  namespaces: ['shop'],
  steps: [],
  databases: [],
  crds: [],
  warnings: [],
  ...over,
});
const stepOut = (over: Partial<RestoreStepOutput> = {}): RestoreStepOutput => ({ created: 0, updated: 0, skipped: 0, failed: [], objects: [], ...over });
const NS_STEP: RestoreStep = { stage: 'namespaces', items: ['ns/shop'], namespace: null };
const CM_STEP: RestoreStep = { stage: 'configmaps', items: ['cm/shop/a'], namespace: 'shop' };
const CRD_STEP: RestoreStep = { stage: 'crds', items: ['crd/a', 'crd/b'], namespace: null };
const noSleep = vi.fn(async (_ms: number) => undefined);

async function run(i: RestoreInput, p: RestorePlan) {
  d.planRestore.mockResolvedValueOnce(p);
  const log: string[] = [];
  const out = await runRestore(ENV, i, (l) => log.push(l), noSleep);
  return { out, log };
}

beforeEach(() => {
  for (const f of Object.values(d)) f.mockReset();
  noSleep.mockClear();
  d.restoreStep.mockResolvedValue(stepOut());
});
afterEach(() => {
  vi.useRealTimers();
});

describe('runRestore: the plan', () => {
  it('a refused plan rejects the restore with its error, calls no step and logs nothing', async () => {
    const refusal = new Error('namespace shop is protected');
    d.planRestore.mockRejectedValueOnce(refusal);
    const log: string[] = [];
    await expect(runRestore(ENV, input(), (l) => log.push(l), noSleep)).rejects.toBe(refusal);
    expect(d.planRestore.mock.calls).toEqual([[ENV, input()]]);
    expect(d.restoreStep).not.toHaveBeenCalled();
    expect(log).toEqual([]);
  });

  it("logs the plan's warnings first, one line each", async () => {
    d.restoreStep.mockResolvedValueOnce(stepOut({ created: 1 }));
    const { log } = await run(input(), plan({ warnings: ['w one', 'w two'], steps: [NS_STEP] }));
    expect(log).toEqual(['warning: w one', 'warning: w two', 'namespaces: 1 created, 0 updated, 0 skipped, 0 failed']);
  });
});

describe('runRestore: the object steps', () => {
  it("hands every step, in plan order, the restore's identity, the plan's namespaces and the defaults (same cluster, no map, no snapshots, no scratch label)", async () => {
    await run(input(), plan({ steps: [NS_STEP, CM_STEP] }));
    const common = {
      restoreId: 'r1',
      cluster: 'c1',
      sourceCluster: 'c1',
      backupId: ID,
      namespaces: ['shop'],
      namespaceMap: {},
      conflict: 'skip',
      dryRun: false,
      fromSnapshots: false,
    };
    expect(d.restoreStep.mock.calls).toStrictEqual([
      [ENV, { ...common, step: NS_STEP }],
      [ENV, { ...common, step: CM_STEP }],
    ]);
  });

  it('passes the source cluster, namespace map, conflict policy, dry run, snapshots and scratch label when given', async () => {
    const i = input({ sourceCluster: 'c0', namespaceMap: { shop: 'shop-2' }, conflict: 'update', dryRun: true, fromSnapshots: true, scratchLabel: 'drill-7' });
    await run(i, plan({ namespaces: ['shop', 'ci'], steps: [CM_STEP] }));
    expect(d.restoreStep.mock.calls).toStrictEqual([
      [
        ENV,
        {
          restoreId: 'r1',
          cluster: 'c1',
          sourceCluster: 'c0',
          backupId: ID,
          step: CM_STEP,
          namespaces: ['shop', 'ci'],
          namespaceMap: { shop: 'shop-2' },
          conflict: 'update',
          dryRun: true,
          fromSnapshots: true,
          scratchLabel: 'drill-7',
        },
      ],
    ]);
  });

  it('adds up created, updated, skipped and the failures of every step, logs a line per step with its stage and namespace, and ends "restored-with-errors"', async () => {
    const f1 = { object: 'Namespace shop', error: 'e1' };
    const f2 = { object: 'ConfigMap shop/a', error: 'e2' };
    const f3 = { object: 'ConfigMap shop/b', error: 'e3' };
    d.restoreStep.mockResolvedValueOnce(stepOut({ created: 2, updated: 1, skipped: 3, failed: [f1] }));
    d.restoreStep.mockResolvedValueOnce(stepOut({ created: 1, updated: 4, skipped: 0, failed: [f2, f3] }));
    const { out, log } = await run(input(), plan({ steps: [NS_STEP, CM_STEP] }));
    expect(out).toStrictEqual({
      restoreId: 'r1',
      backupId: ID,
      dryRun: false,
      created: 3,
      updated: 5,
      skipped: 3,
      failed: [f1, f2, f3],
      databases: [],
      outcome: 'restored-with-errors',
    });
    expect(log).toEqual(['namespaces: 2 created, 1 updated, 3 skipped, 1 failed', 'configmaps shop: 1 created, 4 updated, 0 skipped, 2 failed']);
  });

  it('a dry run with nothing failed says "would be created" and ends "restored"', async () => {
    d.restoreStep.mockResolvedValueOnce(stepOut({ created: 4, skipped: 1 }));
    const { out, log } = await run(input({ dryRun: true }), plan({ steps: [CM_STEP] }));
    expect(out).toStrictEqual({
      restoreId: 'r1',
      backupId: ID,
      dryRun: true,
      created: 4,
      updated: 0,
      skipped: 1,
      failed: [],
      databases: [],
      outcome: 'restored',
    });
    expect(log).toEqual(['configmaps shop: 4 would be created, 0 updated, 1 skipped, 0 failed']);
  });
});

describe('runRestore: waiting for restored CRDs', () => {
  const crdsCreated = stepOut({ created: 2, objects: ['CustomResourceDefinition a.example.com', 'Namespace shop', 'CustomResourceDefinition b.example.com'] });

  it('polls only the CRDs the step created, then only the pending ones, sleeping 10 s between polls', async () => {
    d.restoreStep.mockResolvedValueOnce(crdsCreated);
    d.waitCrds.mockResolvedValueOnce(['b.example.com']).mockResolvedValueOnce([]);
    const { out } = await run(input(), plan({ steps: [CRD_STEP, CM_STEP] }));
    expect(d.waitCrds.mock.calls).toStrictEqual([
      [ENV, { cluster: 'c1', names: ['a.example.com', 'b.example.com'] }],
      [ENV, { cluster: 'c1', names: ['b.example.com'] }],
    ]);
    expect(noSleep.mock.calls).toEqual([[10_000]]);
    expect(out.failed).toEqual([]);
    expect(out.outcome).toBe('restored');
  });

  it('a CRD not Established after 30 polls (300 s) fails by name and the restore goes on', async () => {
    d.restoreStep.mockResolvedValueOnce(crdsCreated);
    d.waitCrds.mockResolvedValue(['b.example.com']);
    const { out } = await run(input(), plan({ steps: [CRD_STEP, CM_STEP] }));
    expect(d.waitCrds).toHaveBeenCalledTimes(30);
    expect(noSleep).toHaveBeenCalledTimes(30);
    expect(d.restoreStep).toHaveBeenCalledTimes(2);
    expect(out.failed).toEqual([{ object: 'CustomResourceDefinition b.example.com', error: 'not Established within 300s' }]);
    expect(out.outcome).toBe('restored-with-errors');
  });

  it('does not wait in a dry run, after a step of another stage, or when the CRD step made no CRD', async () => {
    d.restoreStep.mockResolvedValueOnce(crdsCreated);
    await run(input({ dryRun: true }), plan({ steps: [CRD_STEP] }));
    d.restoreStep.mockResolvedValueOnce(crdsCreated);
    await run(input(), plan({ steps: [CM_STEP] }));
    d.restoreStep.mockResolvedValueOnce(stepOut({ objects: ['Namespace shop'] }));
    await run(input(), plan({ steps: [CRD_STEP] }));
    expect(d.waitCrds).not.toHaveBeenCalled();
    expect(noSleep).not.toHaveBeenCalled();
  });

  it('without a sleep passed in, waits 10 s of real time between polls', async () => {
    vi.useFakeTimers();
    d.planRestore.mockResolvedValueOnce(plan({ steps: [CRD_STEP] }));
    d.restoreStep.mockResolvedValueOnce(crdsCreated);
    d.waitCrds.mockResolvedValueOnce(['a.example.com']).mockResolvedValueOnce([]);
    const done = runRestore(ENV, input());
    await vi.advanceTimersByTimeAsync(9_999);
    expect(d.waitCrds).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await done).outcome).toBe('restored');
    expect(d.waitCrds).toHaveBeenCalledTimes(2);
  });
});

describe('runRestore: databases', () => {
  it('restores each planned database into its target, records a row per database with the error of a failed one, and logs the restored ones', async () => {
    d.restoreDatabase.mockResolvedValueOnce(undefined as never).mockRejectedValueOnce(new Error('dump of orders unreadable'));
    const { out, log } = await run(
      input({ sourceCluster: 'c0' }),
      plan({
        databases: [
          { name: 'app', target: 'app_restored' },
          { name: 'orders', target: 'orders' },
        ],
      }),
    );
    const common = { restoreId: 'r1', cluster: 'c1', sourceCluster: 'c0', backupId: ID, dryRun: false };
    expect(d.restoreDatabase.mock.calls).toStrictEqual([
      [ENV, { ...common, database: 'app', target: 'app_restored' }],
      [ENV, { ...common, database: 'orders', target: 'orders' }],
    ]);
    expect(out.databases).toStrictEqual([
      { name: 'app', target: 'app_restored', ok: true },
      { name: 'orders', target: 'orders', ok: false, error: 'dump of orders unreadable' },
    ]);
    expect(out.failed).toEqual([]);
    expect(out.outcome).toBe('restored-with-errors');
    expect(log).toEqual(['database app -> app_restored: restored']);
  });

  it('in a dry run, a database "would be restored" and the restore ends "restored"', async () => {
    d.restoreDatabase.mockResolvedValueOnce(undefined as never);
    const { out, log } = await run(input({ dryRun: true }), plan({ databases: [{ name: 'app', target: 'app' }] }));
    expect(d.restoreDatabase.mock.calls[0]?.[1]).toMatchObject({ sourceCluster: 'c1', dryRun: true });
    expect(log).toEqual(['database app -> app: would be restored']);
    expect(out.outcome).toBe('restored');
  });
});

describe('runRestore: volumes into new PVCs', () => {
  const v1 = { namespace: 'shop', pvc: 'data', target: { namespace: 'shop-2', name: 'data-restored' } };
  const v2 = { namespace: 'shop', pvc: 'logs', target: { namespace: 'shop', name: 'logs-restored' } };
  const result = {
    source: 'shop/data',
    target: 'shop-2/data-restored',
    outcome: 'created' as const,
    storageClassName: 'managed-csi',
    storage: '2Gi',
    bytes: 10,
    entries: 12,
  };

  it('restores each planned PVC, records a row with its entries or its error, logs the class, size and entries, and a failed one ends "restored-with-errors"', async () => {
    d.restoreVolumeStep.mockResolvedValueOnce(result).mockRejectedValueOnce(new Error('PVC shop/logs-restored exists'));
    const { out, log } = await run(input({ sourceCluster: 'c0' }), plan({ volumes: [v1, v2] }));
    const common = { restoreId: 'r1', cluster: 'c1', sourceCluster: 'c0', backupId: ID, dryRun: false };
    expect(d.restoreVolumeStep.mock.calls).toStrictEqual([
      [ENV, { ...common, volume: v1 }],
      [ENV, { ...common, volume: v2 }],
    ]);
    expect(out.volumes).toStrictEqual([
      { source: 'shop/data', target: 'shop-2/data-restored', ok: true, entries: 12 },
      { source: 'shop/logs', target: 'shop/logs-restored', ok: false, error: 'PVC shop/logs-restored exists' },
    ]);
    expect(out.failed).toEqual([]);
    expect(out.outcome).toBe('restored-with-errors');
    expect(log).toEqual(['volume shop/data -> new PVC shop-2/data-restored (managed-csi, 2Gi): restored, 12 entries']);
  });

  it('a failed first volume still gets its row; a dry run on the default class "would be restored" and ends "restored"', async () => {
    d.restoreVolumeStep.mockRejectedValueOnce(new Error('no such PVC in the backup'));
    const failed = await run(input(), plan({ volumes: [v1] }));
    expect(failed.out.volumes).toStrictEqual([{ source: 'shop/data', target: 'shop-2/data-restored', ok: false, error: 'no such PVC in the backup' }]);
    d.restoreVolumeStep.mockResolvedValueOnce({ ...result, outcome: 'planned', storageClassName: null, entries: 0 });
    const { out, log } = await run(input({ dryRun: true }), plan({ volumes: [v1] }));
    expect(out.volumes).toStrictEqual([{ source: 'shop/data', target: 'shop-2/data-restored', ok: true, entries: 0 }]);
    expect(log).toEqual(['volume shop/data -> new PVC shop-2/data-restored (default class, 2Gi): would be restored']);
    expect(out.outcome).toBe('restored');
  });
});

describe('runRestore: Grafana dashboards, Key Vault secrets and S3 objects', () => {
  it('calls only the services with names, passes the bucket map when given, adds up their counts and conflicts, and logs a line each', async () => {
    const f = { object: 's3://orders/a.csv', error: 'AccessDenied' };
    d.restoreGrafana.mockResolvedValueOnce(stepOut({ created: 1, conflicts: ['dashboard home'] }));
    d.restoreS3.mockResolvedValueOnce(stepOut({ updated: 2, skipped: 3, failed: [f], conflicts: ['s3://orders-2/b.csv'] }));
    d.restoreStep.mockResolvedValueOnce(stepOut({ created: 5, updated: 1, skipped: 1 }));
    const i = input({ sourceCluster: 'c0', conflict: 'update', bucketMap: { orders: 'orders-2' } });
    const { out, log } = await run(i, plan({ steps: [CM_STEP], dashboards: ['home'], keyVaultSecrets: [], buckets: ['orders'] }));
    const svc = { restoreId: 'r1', cluster: 'c1', sourceCluster: 'c0', backupId: ID, conflict: 'update', dryRun: false, bucketMap: { orders: 'orders-2' } };
    expect(d.restoreGrafana.mock.calls).toStrictEqual([[ENV, { ...svc, names: ['home'] }]]);
    expect(d.restoreKeyVault).not.toHaveBeenCalled();
    expect(d.restoreS3.mock.calls).toStrictEqual([[ENV, { ...svc, names: ['orders'] }]]);
    expect(out).toMatchObject({ created: 6, updated: 3, skipped: 4, failed: [f], outcome: 'restored-with-errors' });
    expect(out.conflicts).toStrictEqual(['dashboard home', 's3://orders-2/b.csv']);
    expect(log).toEqual([
      'configmaps shop: 5 created, 1 updated, 1 skipped, 0 failed',
      'Grafana dashboards: 1 created, 0 updated, 0 skipped (exist), 0 failed',
      'S3 objects: 0 created, 2 updated, 3 skipped (exist), 1 failed',
    ]);
  });

  it('without a bucket map passes none; no conflicts leave no conflicts field; a dry run "would be created"', async () => {
    d.restoreKeyVault.mockResolvedValueOnce(stepOut({ created: 2, conflicts: [] }));
    const { out, log } = await run(input({ dryRun: true }), plan({ keyVaultSecrets: ['db-password'] }));
    expect(d.restoreKeyVault.mock.calls).toStrictEqual([
      [ENV, { restoreId: 'r1', cluster: 'c1', sourceCluster: 'c1', backupId: ID, names: ['db-password'], conflict: 'skip', dryRun: true }],
    ]);
    expect(d.restoreGrafana).not.toHaveBeenCalled();
    expect(d.restoreS3).not.toHaveBeenCalled();
    expect(out).toStrictEqual({
      restoreId: 'r1',
      backupId: ID,
      dryRun: true,
      created: 2,
      updated: 0,
      skipped: 0,
      failed: [],
      databases: [],
      outcome: 'restored',
    });
    expect(log).toEqual(['Key Vault secrets: 2 would be created, 0 updated, 0 skipped (exist), 0 failed']);
  });

  it('a service that throws fails as one entry named for the service, and the next service still runs', async () => {
    d.restoreGrafana.mockRejectedValueOnce(new Error('Grafana answered 503'));
    d.restoreKeyVault.mockRejectedValueOnce(new Error('no vault to restore into'));
    d.restoreS3.mockResolvedValueOnce(stepOut({ created: 1 }));
    const { out } = await run(input(), plan({ dashboards: ['home'], keyVaultSecrets: ['a'], buckets: ['orders'] }));
    expect(out.failed).toStrictEqual([
      { object: 'Grafana dashboards', error: 'Grafana answered 503' },
      { object: 'Key Vault secrets', error: 'no vault to restore into' },
    ]);
    expect(out.created).toBe(1);
    expect(out.outcome).toBe('restored-with-errors');
  });
});
