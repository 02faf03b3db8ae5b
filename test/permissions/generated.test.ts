// The shipped roles come from one declaration (src/permissions/kubernetes.ts): the checked-in
// files must equal what `npm run permissions` generates, every data action must be a published
// AKS operation (or an explained CRD), and the ClusterRole must hold exactly the declared rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aksDataAction, dataActionsWithCodePaths, renderClusterRole, renderRoleDefinitions } from '../../src/permissions/generate.js';
import { renderPermissionsJson } from '../../src/permissions/permissions-json.js';
import { allows, appPolicy, KUBERNETES_PERMISSIONS } from '../../src/permissions/kubernetes.js';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('generated permission files', () => {
  it.each([
    ['bicep/modules/role-definitions.bicep', renderRoleDefinitions],
    ['bicep/permissions.json', () => renderPermissionsJson()],
    ['deploy/kubernetes/clusterrole.yaml', () => renderClusterRole()],
  ] as const)('%s is up to date (run npm run permissions)', (path, render) => {
    const current = read(path);
    expect(render(current)).toBe(current);
  });

  it('names only published AKS data actions, or CRDs explained in bicep/aks-data-actions.json', () => {
    const published = JSON.parse(read('bicep/aks-data-actions.json')) as { dataActions: string[]; unpublished: Record<string, string> };
    const unknown = dataActionsWithCodePaths()
      .map((d) => d.action)
      .filter((a) => !published.dataActions.includes(a) && !(a in published.unpublished));
    expect(unknown).toEqual([]);
    for (const a of Object.keys(published.unpublished)) expect(a).not.toContain('*');
  });

  it('maps verbs and subresources the way AKS checks them', () => {
    expect(aksDataAction('', 'pods', 'list')).toBe('Microsoft.ContainerService/managedClusters/pods/read');
    expect(aksDataAction('apps', 'deployments', 'patch')).toBe('Microsoft.ContainerService/managedClusters/apps/deployments/write');
    expect(aksDataAction('', 'pods/exec', 'create')).toBe('Microsoft.ContainerService/managedClusters/pods/exec/action');
    expect(aksDataAction('', 'pods/eviction', 'create')).toBe('Microsoft.ContainerService/managedClusters/pods/write');
    expect(aksDataAction('rbac.authorization.k8s.io', 'roles', 'escalate')).toBe(
      'Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/roles/escalate/action',
    );
  });

  it('ships a ClusterRole that holds exactly the declared rules', () => {
    const role = parse(read('deploy/kubernetes/clusterrole.yaml')) as {
      kind: string;
      rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    };
    expect(role.kind).toBe('ClusterRole');
    for (const p of KUBERNETES_PERMISSIONS) {
      for (const r of p.rules) {
        for (const v of r.verbs) {
          expect(
            role.rules.some((x) => x.apiGroups.includes(r.group) && x.resources.includes(r.resource) && x.verbs.includes(v)),
            `${p.id}: ${v} ${r.group}/${r.resource}`,
          ).toBe(true);
        }
      }
    }
    expect(role.rules.flatMap((x) => x.verbs)).not.toContain('*');
    expect(role.rules.length).toBe(appPolicy().length);
  });

  it('authorizes like RBAC: the verb, group and resource (with subresource) must all match', () => {
    const policy = appPolicy();
    expect(allows(policy, { verb: 'create', group: '', resource: 'pods', subresource: 'eviction' })).toBe(true);
    expect(allows(policy, { verb: 'create', group: '', resource: 'pods', subresource: 'attach' })).toBe(false);
    expect(allows(policy, { verb: 'delete', group: 'apps', resource: 'deployments' })).toBe(false);
    expect(allows(policy, { verb: 'get', group: 'extensions', resource: 'deployments' })).toBe(false);
  });
});
