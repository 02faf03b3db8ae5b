// Protection edges that mutation testing found unguarded (issue #19): clusters the config does not
// know, targets without a namespace, node names that only contain an AKS name, and non-node targets
// whose name looks like a node.
import { describe, expect, it } from 'vitest';
import { compileProtectedScopes, namespaceProtection, nodePoolOf, poolOfNode, poolProtection, protectedReason } from '../../src/domain/protection.js';

const scopes = compileProtectedScopes({
  protected: { namespaces: ['monitoring'], nodePools: ['database'] },
  clusters: [{ name: 'prod', protectedNamespaces: [], protectedNodePools: [] }],
});

describe('protection edges', () => {
  it('a cluster the config does not know frees its ordinary namespaces and pools (no crash on the missing entry)', () => {
    expect(namespaceProtection('shop', undefined)).toBeNull();
    expect(poolProtection('spot', undefined)).toBeNull();
    expect(protectedReason(scopes, { cluster: 'elsewhere', namespace: 'shop', kind: 'Deployment', name: 'api' })).toBeNull();
    expect(protectedReason(scopes, { cluster: 'elsewhere', namespace: '', kind: 'Node', name: 'aks-database-12345678-vmss000000' })).toBeNull();
  });

  it('a target without a namespace is never refused on namespace grounds, even if the config lists an empty name', () => {
    expect(namespaceProtection('', new Set(['']))).toBeNull();
  });

  it('reads the pool only from a whole AKS node name, never from one embedded in a longer name', () => {
    expect(nodePoolOf('aks-database-12345678-vmss000000')).toBe('database');
    expect(nodePoolOf('xaks-database-12345678-vmss000000')).toBeNull();
    expect(nodePoolOf('aks-database-12345678-vmss000000.internal')).toBeNull();
    expect(poolOfNode({ metadata: { name: 'my-aks-database-12345678-vmss000000' } })).toBeNull();
  });

  it('a Deployment named like a node of a protected pool is judged as a Deployment, not as that node', () => {
    const name = 'aks-database-12345678-vmss000000';
    expect(protectedReason(scopes, { cluster: 'prod', namespace: 'shop', kind: 'Deployment', name })).toBeNull();
    expect(protectedReason(scopes, { cluster: 'prod', namespace: '', kind: 'Node', name })).toBe('node pool database is protected by config');
  });
});
