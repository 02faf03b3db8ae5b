// aksops backup list|show|verify and aksops restore against the fake cluster and Azurite
// (the command functions with an env factory bound to the test world), and the CLI routing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER, createWorld, seedShop, type World } from './world.js';
import { runBackupList, runBackupShow, runBackupVerify, runRestore } from '../../src/cli/backup.js';
import { main } from '../../src/cli/main.js';
import { backupObjects, planBackup } from '../../src/backup/engine.js';
import { writeManifest } from '../../src/backup/manifest-write.js';
import type { CliIo } from '../../src/cli/io.js';

let w: World;
const ID = '20250101T020000Z-nightly';
const out: string[] = [];
const err: string[] = [];
const io: CliIo = { out: (l) => void out.push(l), err: (l) => void err.push(l), env: {}, readStdin: () => '', cwd: process.cwd() };
const factory = async () => w.env;

beforeEach(async () => {
  out.length = 0;
  err.length = 0;
  w = await createWorld({ tag: 'cli' });
  seedShop(w.kube, 'shop');
  const plan = await planBackup(w.env, { backupId: ID, cluster: CLUSTER, parts: ['objects'] });
  const parts = [
    await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: 'shop', types: plan.namespacedTypes }),
    await backupObjects(w.env, { backupId: ID, cluster: CLUSTER, namespace: null, types: [], namespaces: plan.namespaces, clusterTypes: plan.clusterTypes }),
  ];
  await writeManifest(w.env, {
    backupId: ID,
    cluster: CLUSTER,
    parts: parts.map((p) => p.part),
    failed: [],
    warnings: [],
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: '2025-01-01T02:00:00.000Z',
    finishedAt: '2025-01-01T02:01:00.000Z',
  });
});
afterEach(async () => w.stop());

describe('aksops backup', () => {
  it('lists, shows and verifies', async () => {
    expect(await runBackupList([], io, factory)).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ backupId: ID, cluster: CLUSTER, status: 'complete' });
    expect(await runBackupShow([ID], io, factory)).toBe(0);
    expect(JSON.parse(out[1]!)).toMatchObject({ backupId: ID, status: 'complete', counts: { 'Deployment.apps': 2 } });
    expect(await runBackupVerify([ID], io, factory)).toBe(0);
    expect(JSON.parse(out[2]!)).toMatchObject({ ok: true });
    expect(await runBackupShow(['nope'], io, factory)).toBe(2);
    expect(err.at(-1)).toMatch(/give the backup ID/);
  });

  it('restores: a dry-run by default, --apply to act', async () => {
    expect(await runRestore(['--backup', ID, '--namespace', 'shop', '--map', 'shop=shop-dr'], io, factory)).toBe(0);
    expect(err[0]).toMatch(/dry-run \(server-side dryRun=All\)/);
    expect(w.kube.get('namespaces', undefined, 'shop-dr')).toBeUndefined();
    expect(await runRestore(['--backup', ID, '--namespace', 'shop', '--map', 'shop=shop-dr', '--apply'], io, factory)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ outcome: 'restored', dryRun: false, failed: [] });
    expect(w.kube.get('deployments', 'shop-dr', 'api')).toBeDefined();
    expect(await runRestore(['--backup', ID, '--conflict', 'replace'], io, factory)).toBe(2);
  });

  it('is routed by the aksops entry point', async () => {
    const code = await main(['backup', 'list', '--config', '/nonexistent/ops.yaml'], io);
    expect(code).toBe(1);
    expect(err.at(-1)).toMatch(/cannot be read/);
    expect(await main(['restore', '--backup', 'x', '--config', '/nonexistent/ops.yaml'], io)).toBe(1);
  });
});
