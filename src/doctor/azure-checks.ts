// The Azure half of `aksops doctor`: at each ARM scope the config names (each cluster, each budget's
// resource group), the caller's effective permissions from the authorization API against every
// operation src/permissions/azure.ts declares for a grant at that scope; then harmless reads of
// Key Vault and the backup storage, and the Prometheus sources (ready, or answering a query).
// Rows never carry a credential.
import { redactSecrets } from '../domain/redact.js';
import { dataActionsWithCodePaths } from '../permissions/generate.js';
import { allowedBy, AZURE_PERMISSIONS, roleName, type AzureGrant, type PermissionSet } from '../permissions/azure.js';
import type { DoctorRow } from './checks.js';

export interface AzureScopeCheck {
  /** Row label, e.g. "aks-prod (cluster)". */
  label: string;
  /** The scope's resource ID (for the fix text). */
  id: string;
  /** The grants' scope type this ARM scope stands for: a resource type or resourceGroup. */
  scopeType: string;
  permissions: () => Promise<PermissionSet[]>;
}

export interface PrometheusCheck {
  label: string;
  url: string;
  /** Bearer token (managed-identity sources); none: an in-cluster Prometheus (GET /-/ready). */
  token?: () => Promise<string>;
}

export interface AzureDoctorDeps {
  scopes?: readonly AzureScopeCheck[];
  /** Harmless reads: Key Vault (list one page of secret properties), backup storage (list one page). */
  reads?: ReadonlyArray<{ check: string; run: () => Promise<void>; fix: string }>;
  prometheus?: readonly PrometheusCheck[];
  fetch?: typeof fetch;
}

const msg = (e: unknown) =>
  redactSecrets(e instanceof Error ? e.message : String(e))
    .split('\n')[0]!
    .slice(0, 300);

function operationsOf(g: AzureGrant): string[] {
  return g.operations === 'kubernetes' ? dataActionsWithCodePaths().map((d) => d.action) : g.operations.map((o) => o.operation);
}

async function scopeRows(s: AzureScopeCheck): Promise<DoctorRow[]> {
  const grants = AZURE_PERMISSIONS.filter((g) => g.principal === 'functionApp' && g.scope === s.scopeType && g.assignedBy !== 'operator');
  let sets: PermissionSet[];
  try {
    sets = await s.permissions();
  } catch (e) {
    return [
      {
        check: `azure ${s.label}: permissions`,
        status: 'fail',
        detail: msg(e),
        fix: `check the scope exists (${s.id}) and that the identity has any role there; the authorization API answers only for scopes the caller can see`,
      },
    ];
  }
  return grants.map((g): DoctorRow => {
    const ops = operationsOf(g);
    const missing = ops.filter((o) => !allowedBy(sets, o));
    const check = `azure ${s.label}: ${g.id}`;
    if (missing.length === 0) return { check, status: 'ok', detail: `${ops.length} operations allowed` };
    const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ` and ${missing.length - 3} more` : '');
    return {
      check,
      status: 'fail',
      detail: `missing ${shown}`,
      fix: `assign "${roleName(g)}" to the app's identity on ${s.id} (bicep/permissions.json#${g.id}; azd provision does)`,
    };
  });
}

async function prometheusRow(p: PrometheusCheck, f: typeof fetch): Promise<DoctorRow> {
  const base = p.url.endsWith('/') ? p.url : `${p.url}/`;
  // Azure Monitor managed Prometheus serves the query API but not /-/ready.
  const url = p.token ? new URL('api/v1/query?query=vector(1)', base) : new URL('-/ready', base);
  const check = `prometheus ${p.label}`;
  const fix = p.token
    ? 'check the query endpoint in ops.yaml and that the app identity has Monitoring Data Reader on the Azure Monitor workspace (bicep/permissions.json#app-prometheus-query)'
    : 'check the Prometheus url in ops.yaml, that Prometheus is up, and the network path from the app';
  try {
    const headers: Record<string, string> = p.token ? { authorization: `Bearer ${await p.token()}` } : {};
    const res = await f(url, { headers, signal: AbortSignal.timeout(5_000) });
    return res.ok
      ? { check, status: 'ok', detail: `${url.origin}${url.pathname} answered ${res.status}` }
      : { check, status: 'fail', detail: `${url.origin}${url.pathname} answered ${res.status}`, fix };
  } catch (e) {
    return { check, status: 'fail', detail: `${url.origin}: ${msg(e)}`, fix };
  }
}

export async function runAzureChecks(d: AzureDoctorDeps): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const s of d.scopes ?? []) rows.push(...(await scopeRows(s)));
  for (const r of d.reads ?? []) {
    try {
      await r.run();
      rows.push({ check: r.check, status: 'ok', detail: 'readable' });
    } catch (e) {
      rows.push({ check: r.check, status: 'fail', detail: msg(e), fix: r.fix });
    }
  }
  for (const p of d.prometheus ?? []) rows.push(await prometheusRow(p, d.fetch ?? fetch));
  return rows;
}
