// Attack (#12 item 6): restoring {namespaces: ["shop"], kinds: ["clusterrolebindings"],
// namespaceMap: {"ci": "kube-system"}} rewrote a cluster-admin binding's subject from ci/deployer
// to kube-system/deployer, because map targets were checked only for the namespaces restored.
// Now every map target is checked against protection, and cluster-scoped RBAC is restored only
// with the explicit `clusterRbac: true` option (which the HTTP route grants to Approvers only).
import { checkBodyValue } from '../../src/api/validate.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplayHarness } from '../support/replay-harness.js';
import { backupOrchestrator } from '../../orchestrations/backup.js';
import { restoreOrchestrator } from '../../orchestrations/restore.js';
import { backupActivities } from '../../src/backup/activities.js';
import { backupIdFor } from '../../src/backup/manifest.js';
import { restoreRequest } from '../../src/backup/triggers.js';
import type { RestoreInput } from '../../src/domain/backup-types.js';
import { CLUSTER, createWorld, seedShop, type World } from '../backup/world.js';

let w: World;
const ID = backupIdFor(new Date('2025-01-01T02:00:00Z'), 'nightly');
const activities = () => ({ ...backupActivities(w.env), writeAudit: async () => undefined }) as never;

beforeEach(async () => {
  w = await createWorld({ tag: 'sec-restore' });
  seedShop(w.kube, 'shop');
  w.kube.seed('clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'ci-deployer-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }],
  });
  w.backups.clusters[0]!.objects.clusterResources.clusterRoleBindings = ['*'];
  const h = createReplayHarness({
    orchestrator: backupOrchestrator,
    instanceId: `backup:${CLUSTER}:${ID}`,
    input: { backupId: ID, cluster: CLUSTER, parts: ['objects'], trigger: 'cli', requestedBy: 'test', applyRetention: false },
    activities: activities(),
    startTime: '2025-01-01T02:00:00.000Z',
  });
  expect((await h.run()).status).toBe('completed');
});
afterEach(async () => {
  await w.stop();
});

async function restore(over: Partial<RestoreInput>) {
  const input: RestoreInput = { restoreId: 'r1', cluster: CLUSTER, backupId: ID, conflict: 'update', dryRun: false, requestedBy: 'user:x', ...over };
  const h = createReplayHarness({
    orchestrator: restoreOrchestrator,
    instanceId: `restore:${CLUSTER}:r1`,
    input,
    activities: activities(),
    startTime: '2025-01-02T00:00:00.000Z',
  });
  return h.run();
}

const subjectNs = () =>
  (w.kube.get('clusterrolebindings', null as never, 'ci-deployer-admin') as unknown as { subjects: Array<{ namespace: string }> }).subjects[0]!.namespace;

describe('attack: restore rewrites binding subjects into kube-system', () => {
  it('refuses a namespaceMap whose target is protected, even for a namespace not being restored', async () => {
    const r = await restore({ namespaces: ['shop'], kinds: ['clusterrolebindings'], namespaceMap: { ci: 'kube-system' }, clusterRbac: true });
    expect((r.output as { error?: string }).error).toMatch(/namespaceMap: "ci" -> "kube-system": namespace kube-system is protected/);
    expect(subjectNs()).toBe('ci');
  });

  it('does not restore cluster-scoped RBAC without the explicit clusterRbac option', async () => {
    const r = await restore({ namespaces: ['shop'], kinds: ['clusterrolebindings'], namespaceMap: { ci: 'ci-copy' } });
    expect((r.output as { error?: string }).error).toMatch(/cluster-scoped RBAC.*"clusterRbac": true/);
    expect(subjectNs()).toBe('ci');
  });

  it('with clusterRbac and an unprotected target, the binding is restored and its subject mapped', async () => {
    const r = await restore({ namespaces: ['shop'], kinds: ['clusterrolebindings'], namespaceMap: { ci: 'ci-copy' }, clusterRbac: true });
    expect(r.status).toBe('completed');
    expect(subjectNs()).toBe('ci-copy');
  });

  it('POST /api/restores validation: clusterRbac must be a boolean and is carried to the orchestration', () => {
    const backups = w.env.backups;
    expect(checkBodyValue('restoresStart', { cluster: CLUSTER, backupId: ID, clusterRbac: 'yes' })).toMatchObject({
      ok: false,
      invalid: { status: 400, body: { parameter: 'clusterRbac', error: expect.stringContaining('must be true or false') } },
    });
    expect(restoreRequest(backups, { cluster: CLUSTER, backupId: ID, clusterRbac: true }, new Date(), 'user:x').input).toMatchObject({ clusterRbac: true });
  });
});
