// Every Azure operation the system performs has a role assignment, and every role assignment is
// justified: bicep/permissions.json (operation, code path, role, scope) against the role
// assignments found in the templates, the built-in role catalogue (bicep/builtin-roles.json) and
// the custom roles (bicep/modules/role-definitions.bicep).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { callArgs, callName, evaluate, getPath, getProperty, isKnown, type BicepModel, type ResourceDecl } from './model.js';
import { loadProject, readJson, repoRoot } from './project.js';

interface RoleCatalogue {
  roles: Record<string, { id: string; actions: string[]; dataActions: string[] }>;
}
interface Operation {
  operation: string;
  codePath: string;
  status: 'implemented' | 'planned';
}
interface Grant {
  id: string;
  principal: string;
  role: { builtIn?: string; custom?: string };
  scope: string;
  scopeReason?: string;
  /** The storage account, by the roles.bicep parameter naming it: backup -> backupStorageAccountName. */
  account?: 'backup' | 'backupSecondary' | 'app';
  conditional?: boolean;
  /** operator: assigned on a resource only ops.yaml names (no Bicep role assignment; the docs say how). */
  assignedBy?: 'operator';
  assignedByReason?: string;
  operations: Operation[];
}
interface Permissions {
  principals: Record<string, { principalType: string; principalIdExpressions: string[] }>;
  grants: Grant[];
}

interface Assignment {
  where: string;
  scopeType: string;
  scopeResource: ResourceDecl | undefined;
  role: { builtIn?: string; custom?: string; unknown?: string };
  principalExpr: string;
  principalType: string | undefined;
  conditional: boolean;
  description: string;
}

const project = await loadProject();
const permissions = readJson<Permissions>('bicep/permissions.json');
const catalogue = readJson<RoleCatalogue>('bicep/builtin-roles.json');
const builtInById = new Map(Object.entries(catalogue.roles).map(([name, r]) => [r.id, name]));

function scopeOf(m: BicepModel, r: ResourceDecl): { type: string; resource: ResourceDecl | undefined } {
  const scope = getProperty(r.body, 'scope');
  if (!scope) return { type: m.targetScope, resource: undefined };
  if (scope.type === 'identifier') {
    const target = m.resources.find((x) => x.name === scope.text);
    return { type: target?.fullType ?? `?${scope.text}`, resource: target };
  }
  if (scope.type === 'resource_expression') {
    const [parent, child] = scope.text.split('::');
    const target = m.resources.find((x) => x.name === child && x.parent?.name === parent);
    return { type: target?.fullType ?? `?${scope.text}`, resource: target };
  }
  const fn = callName(scope);
  if (fn === 'resourceGroup') return { type: 'resourceGroup', resource: undefined };
  if (fn === 'subscription') return { type: 'subscription', resource: undefined };
  return { type: `?${scope.text}`, resource: undefined };
}

function roleOf(m: BicepModel, roleDefinitionId: Node | undefined): Assignment['role'] {
  if (!roleDefinitionId) return { unknown: '(none)' };
  const custom = /^customRoleIds\.(\w+)$/.exec(roleDefinitionId.text);
  if (custom) return { custom: custom[1]! };
  if (callName(roleDefinitionId) === 'subscriptionResourceId') {
    const guid = evaluate(callArgs(roleDefinitionId)[1], { model: m });
    if (typeof guid === 'string') {
      const name = builtInById.get(guid);
      return name ? { builtIn: name } : { unknown: guid };
    }
  }
  return { unknown: roleDefinitionId.text };
}

function collectAssignments(): Assignment[] {
  const out: Assignment[] = [];
  for (const m of project.models.values()) {
    for (const r of m.resources) {
      if (r.fullType !== 'Microsoft.Authorization/roleAssignments' || r.existing) continue;
      const scope = scopeOf(m, r);
      const props = getProperty(r.body, 'properties');
      const principalType = evaluate(getProperty(props, 'principalType'), { model: m });
      const description = evaluate(getProperty(props, 'description'), { model: m });
      out.push({
        where: `${m.path}:${r.line} ${r.name}`,
        scopeType: scope.type,
        scopeResource: scope.resource,
        role: roleOf(m, getProperty(props, 'roleDefinitionId')),
        principalExpr: getProperty(props, 'principalId')?.text ?? '',
        principalType: typeof principalType === 'string' ? principalType : undefined,
        conditional: r.condition !== undefined,
        description: typeof description === 'string' ? description : '',
      });
    }
  }
  return out;
}

const customRoles = (() => {
  const m = project.model('modules/role-definitions.bicep');
  const v = evaluate(m.vars.get('customRoles')?.value, { model: m });
  if (!isKnown(v) || typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('customRoles is not a literal object');
  return v as unknown as Record<string, { roleName: string; actions: string[]; dataActions: string[] }>;
})();

/** Azure permission match: case-insensitive, '*' matches any characters. */
function permits(pattern: string, operation: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(operation);
}

function roleGrants(grant: Grant): string[] {
  if (grant.role.custom) {
    const r = customRoles[grant.role.custom];
    return r ? [...r.actions, ...r.dataActions] : [];
  }
  const r = catalogue.roles[grant.role.builtIn ?? ''];
  return r ? [...r.actions, ...r.dataActions] : [];
}

function matches(grant: Grant, a: Assignment): boolean {
  const principal = permissions.principals[grant.principal];
  if (!principal || !principal.principalIdExpressions.includes(a.principalExpr)) return false;
  if (grant.role.custom ? a.role.custom !== grant.role.custom : a.role.builtIn !== grant.role.builtIn) return false;
  if (a.scopeType !== grant.scope) return false;
  if (grant.account) {
    const nameExpr = getProperty(a.scopeResource?.body, 'name')?.text ?? '';
    if (nameExpr !== `${grant.account}StorageAccountName`) return false;
  }
  return true;
}

const assignments = collectAssignments();

describe('role assignments against bicep/permissions.json', () => {
  it('finds the role assignments of the templates', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(permissions.grants.filter((g) => g.assignedBy !== 'operator').length);
    for (const a of assignments) expect(a.role.unknown, `${a.where}: role not in builtin-roles.json or custom roles`).toBeUndefined();
  });

  it('has a permissions.json entry for every role assignment (no unexplained access)', () => {
    const unexplained = assignments.filter((a) => permissions.grants.filter((g) => matches(g, a)).length !== 1).map((a) => a.where);
    expect(unexplained).toEqual([]);
  });

  it('has the role assignment of every permissions.json entry, at the scope it names', () => {
    for (const g of permissions.grants) {
      const found = assignments.filter((a) => matches(g, a));
      if (g.assignedBy === 'operator') {
        expect(found, `${g.id}: assignedBy operator, yet Bicep assigns it`).toEqual([]);
        expect(g.assignedByReason, `${g.id}: assignedBy operator needs assignedByReason naming the doc`).toMatch(/docs\/[\w-]+\.md/);
        continue;
      }
      expect(found.length, `${g.id}: no role assignment of ${JSON.stringify(g.role)} for ${g.principal} at ${g.scope}`).toBeGreaterThanOrEqual(1);
      if (g.scope !== 'resourceGroup') expect(found.length, g.id).toBe(1);
      for (const a of found) {
        expect(a.conditional, `${g.id} ${a.where}: conditional in Bicep must match "conditional" in permissions.json`).toBe(g.conditional === true);
        expect(a.description, `${a.where}: description should cite permissions.json#${g.id}`).toContain(`permissions.json#${g.id}`);
      }
    }
  });

  it('sets principalType as the principal requires', () => {
    for (const g of permissions.grants) {
      for (const a of assignments.filter((x) => matches(g, x))) {
        expect(a.principalType, a.where).toBe(permissions.principals[g.principal]!.principalType);
      }
    }
  });

  it('scopes every assignment to a resource unless the entry explains why a resource group is the narrowest scope', () => {
    for (const g of permissions.grants) {
      expect(g.scope, g.id).not.toBe('subscription');
      if (g.scope === 'resourceGroup') expect(g.scopeReason, `${g.id}: resource-group scope needs scopeReason`).toBeTruthy();
      else expect(g.scope, g.id).toMatch(/^Microsoft\.[A-Za-z]+\/[A-Za-z]+/);
    }
  });

  it("grants every operation of an entry through the entry's role", () => {
    for (const g of permissions.grants) {
      const granted = roleGrants(g);
      expect(granted.length, `${g.id}: unknown role ${JSON.stringify(g.role)}`).toBeGreaterThan(0);
      for (const op of g.operations) {
        expect(granted.some((p) => permits(p, op.operation)), `${g.id}: ${op.operation} is not granted by ${JSON.stringify(g.role)}`).toBe(true);
      }
    }
  });

  it('gives every operation a code path, and implemented code paths exist', () => {
    for (const g of permissions.grants) {
      for (const op of g.operations) {
        expect(op.codePath.length, `${g.id} ${op.operation}`).toBeGreaterThan(10);
        expect(op.status, `${g.id} ${op.operation}: every declared operation is implemented`).toBe('implemented');
        const files = [...op.codePath.matchAll(/\b((?:src|functions|orchestrations)\/[\w./-]+\.ts)\b/g)].map((x) => x[1]!);
        for (const f of files) expect(existsSync(join(repoRoot, f)), `${g.id}: ${f} does not exist`).toBe(true);
      }
    }
  });

  it('keeps custom roles minimal: no wildcards, and every action is used by an operation', () => {
    expect(Object.keys(customRoles).sort()).toEqual(['agentPoolOperator', 'kubernetesOperator']);
    for (const [key, role] of Object.entries(customRoles)) {
      const used = permissions.grants.filter((g) => g.role.custom === key).flatMap((g) => g.operations.map((o) => o.operation));
      for (const action of [...role.actions, ...role.dataActions]) {
        expect(action, key).not.toContain('*');
        expect(used, `${key}: ${action} is granted but no permissions.json operation uses it`).toContain(action);
      }
    }
    const defs = project.model('modules/role-definitions.bicep');
    const def = defs.resources.find((r) => r.fullType === 'Microsoft.Authorization/roleDefinitions');
    expect(def?.loop?.text).toContain('items(customRoles)');
    expect(getPath(def?.body, 'properties.assignableScopes')?.text).toContain('assignableScope');
  });

  it('uses the built-in role IDs of bicep/builtin-roles.json in every template', () => {
    const known = new Set(Object.values(catalogue.roles).map((r) => r.id));
    const guid = /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g;
    for (const m of project.models.values()) {
      for (const match of m.text.matchAll(guid)) expect(known.has(match[1]!), `${m.path}: role ${match[1]} is not in builtin-roles.json`).toBe(true);
    }
  });
});

describe('Azure SDKs used by the code have their permissions.json entries', () => {
  // Which entries an SDK import implies. An @azure/* package missing here fails the test below, so
  // adding an SDK to the code forces a decision about its permissions.
  const SDK_GRANTS: Record<string, string[]> = {
    '@azure/data-tables': ['app-tables'],
    '@azure/storage-queue': ['app-host-queues'],
    '@azure/storage-blob': ['app-backup-blobs'],
    '@azure/keyvault-secrets': ['app-keyvault-secrets'],
    '@azure/arm-containerservice': ['app-aks-node-pools', 'app-aks-credentials'],
    '@kubernetes/client-node': ['app-aks-data-plane', 'app-aks-credentials'],
    '@azure/arm-costmanagement': ['app-cost-read'],
    '@azure/arm-consumption': ['app-cost-read'],
    '@azure/monitor-query': ['app-prometheus-query'],
    // The app's own OpenTelemetry (src/telemetry/setup.ts): Entra-authenticated ingestion to Application Insights.
    '@azure/monitor-opentelemetry': ['app-telemetry'],
    // storage-account-key rotation (src/adapters/storage-keys.ts): listKeys/regenerateKey on storage
    // accounts the operator enrols in ops.yaml, not on estate accounts Bicep knows; no Bicep role
    // assignment (assignedBy operator), docs/rotation.md says which role to grant.
    '@azure/arm-storage': ['app-storage-key-rotation'],
    // Backup encryption (src/adapters/key-wrap.ts): wrapKey/unwrapKey on the Key Vault key that
    // backups.encryption.keyVaultKey names in ops.yaml (any vault); no Bicep role assignment (assignedBy
    // operator), docs/backups.md says which role to grant.
    '@azure/keyvault-keys': ['app-backup-key'],
  };
  // SDKs that need no role of their own (authentication, the Functions runtime, shared plumbing).
  // @azure/arm-authorization: doctor lists the caller's own permissions, which needs no role.
  // @azure/communication-email: authenticates with the ACS resource's access key from an app setting
  // (paging email keySetting); with managed identity the role on that resource is the operator's (docs/windows.md).
  const NO_ROLE = new Set(['@azure/communication-email', '@azure/arm-authorization', '@azure/identity', '@azure/functions', '@azure/core-auth', '@azure/core-rest-pipeline', '@azure/core-client', '@azure/logger', '@azure/abort-controller', '@azure/core-util']);

  function sourceFiles(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return sourceFiles(full);
      return /\.(ts|mts|js|mjs)$/.test(name) ? [full] : [];
    });
  }

  const imported = new Set<string>();
  for (const file of ['src', 'functions', 'orchestrations'].flatMap((d) => sourceFiles(join(repoRoot, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](@azure\/[\w.-]+|@kubernetes\/client-node)['"]/g)) imported.add(m[1]!);
  }

  it('maps every imported Azure SDK to the permissions.json entries it needs', () => {
    const ids = new Set(permissions.grants.map((g) => g.id));
    for (const sdk of imported) {
      if (NO_ROLE.has(sdk)) continue;
      const needed = SDK_GRANTS[sdk];
      expect(needed, `${sdk} is imported by the code: add it to SDK_GRANTS with the permissions.json entries it needs`).toBeDefined();
      for (const id of needed ?? []) expect(ids.has(id), `${sdk} needs permissions.json#${id}`).toBe(true);
    }
  });
});
