// One table for "may this be touched?" (src/domain/protection.ts), run through the rule itself and
// through each job's entry point that is pure enough to call here (rotation config, budgets'
// protection map, restart-pod's own refusal), plus a scan that keeps the list in one place.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALWAYS_PROTECTED_NAMESPACES, compileProtectedScopes, nodePoolOf, poolOfNode, protectedReason } from '../../src/domain/protection.js';
import type { Target } from '../../src/domain/types.js';
import { checkRotation, rotationSchema } from '../../src/config/rotation-schema.js';
import { protectionOf } from '../../src/budget/compile.js';
import { restartPod } from '../../src/runbooks/restart-pod.js';

const config = {
  protected: { namespaces: ['monitoring'], nodePools: ['database'] },
  clusters: [
    { name: 'prod', alertLabels: {}, protectedNamespaces: ['payments'], protectedNodePools: ['system'], environment: 'production' },
    { name: 'dev', alertLabels: {}, protectedNamespaces: [], protectedNodePools: [], environment: 'dev' },
  ],
};
const scopes = compileProtectedScopes(config);

const ns = (cluster: string, namespace: string): Target => ({ cluster, namespace, kind: 'Deployment', name: 'api' });
const node = (cluster: string, name: string): Target => ({ cluster, namespace: '', kind: 'Node', name });

// [case, target, expected reason or null]
const TABLE: Array<[string, Target, string | null]> = [
  ['kube-system is always protected', ns('dev', 'kube-system'), 'namespace kube-system is always protected'],
  ['kube-public is always protected', ns('dev', 'kube-public'), 'namespace kube-public is always protected'],
  ['kube-node-lease is always protected', ns('dev', 'kube-node-lease'), 'namespace kube-node-lease is always protected'],
  ['a globally protected namespace, in every cluster', ns('dev', 'monitoring'), 'namespace monitoring is protected by config'],
  ["a cluster's own protected namespace", ns('prod', 'payments'), 'namespace payments is protected by config'],
  ["another cluster's protected namespace is free here", ns('dev', 'payments'), null],
  ['an ordinary namespace', ns('prod', 'shop'), null],
  ['a cluster the config does not know keeps the floor', ns('elsewhere', 'kube-system'), 'namespace kube-system is always protected'],
  ['a node of a globally protected pool', node('dev', 'aks-database-12345678-vmss000000'), 'node pool database is protected by config'],
  ["a node of the cluster's own protected pool", node('prod', 'aks-system-12345678-vmss000001'), 'node pool system is protected by config'],
  ['the same pool name in another cluster is free', node('dev', 'aks-system-12345678-vmss000001'), null],
  ['a node of an ordinary pool', node('prod', 'aks-spot-87654321-vmss00000a'), null],
  ['a node whose name names no pool', node('prod', 'worker-1'), null],
];

describe('protection: one rule for every job', () => {
  it.each(TABLE)('%s', (_case, target, reason) => {
    expect(protectedReason(scopes, target)).toBe(reason);
  });

  it.each(TABLE.filter(([, t]) => t.kind !== 'Node'))('budgets protect the same namespaces: %s', (_case, target, reason) => {
    const p = protectionOf(config);
    const listed = (p.namespaces[target.cluster] ?? [...ALWAYS_PROTECTED_NAMESPACES]).includes(target.namespace);
    expect(listed).toBe(reason !== null);
  });

  it.each(ALWAYS_PROTECTED_NAMESPACES.map((n) => [n]))('rotation refuses a consumer in %s', (n) => {
    const rot = rotationSchema.parse({
      secrets: [{ name: 'api-key', strategy: 'random', cluster: 'dev', targets: ['shop/api/KEY'], consumers: [`${n}/Deployment/api`, 'shop/Deployment/api'] }],
    });
    expect(checkRotation(rot, new Set(['dev'])).map((i) => i.message)).toEqual([`is in ${n}, which is always protected. Fix: remove it`]);
  });

  it.each(ALWAYS_PROTECTED_NAMESPACES.map((n) => [n]))('restart-pod refuses %s on its own, before any API call', async (n) => {
    const noApi = new Proxy(
      {},
      {
        get: () => {
          throw new Error('restart-pod called the Kubernetes API for a protected namespace');
        },
      },
    );
    const r = await restartPod({ core: noApi, apps: noApi } as never, {
      target: { cluster: 'dev', namespace: n, kind: 'Pod', name: 'p' },
      dryRun: false,
      restartedAt: '2026-01-01T00:00:00Z',
    });
    expect(r.outcome).toBe('skipped');
  });

  it('finds a node pool from the AKS label, else from the node name', () => {
    expect(poolOfNode({ metadata: { name: 'aks-spot-1-vmss0', labels: { 'kubernetes.azure.com/agentpool': 'compute' } } })).toBe('compute');
    expect(poolOfNode({ metadata: { name: 'worker-1', labels: { agentpool: 'database' } } })).toBe('database');
    expect(poolOfNode({ metadata: { name: 'aks-system-12345678-vmss000000' } })).toBe('system');
    expect(poolOfNode({})).toBeNull();
    expect(nodePoolOf('aks-spot-87654321-vmss00000a')).toBe('spot');
    expect(nodePoolOf('aks-UPPER-1-vmss0')).toBeNull();
  });

  it('declares the always-protected namespaces in exactly one file of src/, functions/ and orchestrations/', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    const declaring = ['src', 'functions', 'orchestrations'].flatMap(files).filter((f) => /['"]kube-(public|node-lease)['"]/.test(readFileSync(f, 'utf8')));
    expect(declaring).toEqual([join('src', 'domain', 'protection.ts')]);
  });
});
