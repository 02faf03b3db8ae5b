// kubeContext '@current' follows the kubeconfig's current-context, as kubectl does: what
// `npm start` promises ("against the current kubeconfig context").
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { CURRENT_CONTEXT, createKubeAccess } from '../../src/adapters/kube.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-current-'));
const servers: FakeKubeApiServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe(`kubeContext: '${CURRENT_CONTEXT}'`, () => {
  it('uses the current-context of the kubeconfig', async () => {
    const kube = await startFakeKubeApiServer({ token: 'tok-current' });
    servers.push(kube);
    kube.seedDeployment({ namespace: 'shop', name: 'api' });
    const path = join(dir, 'config');
    writeFileSync(path, kube.kubeConfig().exportConfig());
    const apis = await createKubeAccess({ kubeconfigPath: path }).forCluster({ name: 'dev', kubeContext: CURRENT_CONTEXT });
    const list = await apis.apps.listNamespacedDeployment({ namespace: 'shop' });
    expect(list.items.map((d) => d.metadata?.name)).toEqual(['api']);
  });

  it('explains what to do when the kubeconfig has no current context', async () => {
    const path = join(dir, 'empty');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\n');
    await expect(createKubeAccess({ kubeconfigPath: path }).forCluster({ name: 'dev', kubeContext: CURRENT_CONTEXT })).rejects.toThrow(
      /has no current-context. Fix: kubectl config use-context/,
    );
  });
});
