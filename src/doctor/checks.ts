// `aksops doctor` and GET /api/doctor: a deployed estate's readiness, checked from where the app
// runs. Per configured cluster: reachability, then every permission the code declares
// (src/permissions/kubernetes.ts) through SelfSubjectAccessReview, so a missing grant shows up
// here and not as a 403 in the middle of a drain. Then the Alertmanager URL (GET /-/ready), the
// app's storage, and the Azure checks (azure-checks.ts: ARM permissions per scope, Key Vault and
// backup storage reads, Prometheus). Each row: check, status and the fix. Never a credential in a row.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/schema.js';
import { appPolicy, type KubeRule } from '../permissions/kubernetes.js';
import { aksDataAction } from '../permissions/generate.js';
import { redactSecrets } from '../domain/redact.js';
import type { AzureDoctorDeps } from './azure-checks.js';

export interface DoctorRow {
  check: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

export interface DoctorDeps {
  clusters: readonly Pick<ClusterConfig, 'name' | 'azure' | 'kubeContext'>[];
  kubeConfigFor: (cluster: Pick<ClusterConfig, 'name' | 'azure' | 'kubeContext'>) => Promise<KubeConfig>;
  alertmanagerUrl?: string;
  /** The app's storage (the audit table); absent: not checked (e.g. a laptop without storage settings). */
  storage?: () => Promise<void>;
  fetch?: typeof fetch;
  policy?: readonly KubeRule[];
  /** ARM permissions, Key Vault and backup storage reads, Prometheus sources (azure-checks.ts). */
  azure?: AzureDoctorDeps;
}

const msg = (e: unknown) => redactSecrets(e instanceof Error ? e.message : String(e));
const ROLE_FIX =
  'grant the shipped role: bicep/modules/role-definitions.bicep (Azure RBAC for Kubernetes) or deploy/kubernetes/clusterrole.yaml (Kubernetes RBAC); `npm run permissions` regenerates both';

/** One permission per row: "<verb> <group>/<resource>", at the cluster scope (all namespaces). */
async function permissionRows(cluster: string, kc: KubeConfig, policy: readonly KubeRule[]): Promise<DoctorRow[]> {
  const { KubeRest, KubeRestError } = await import('../adapters/kube-rest.js');
  const rest = new KubeRest(kc);
  try {
    try {
      await rest.request('GET', '/version');
    } catch (e) {
      // Any HTTP answer (even 404 or 403) means the API server is reachable and authenticated us.
      if (!(e instanceof KubeRestError) || e.code === 401) {
        return [
          {
            check: `${cluster}: reachable`,
            status: 'fail',
            detail: msg(e),
            fix: 'check the cluster endpoint and network path from the app (private cluster: VNet integration), and the kubeconfig context or azure.resourceId in ops.yaml',
          },
        ];
      }
    }
    const rows: DoctorRow[] = [{ check: `${cluster}: reachable`, status: 'ok', detail: kc.getCurrentCluster()?.server ?? '' }];
    for (const r of policy) {
      const [resource, subresource] = r.resource.split('/') as [string, string | undefined];
      for (const verb of r.verbs) {
        const name = `${cluster}: ${verb} ${r.group || 'core'}/${r.resource}`;
        try {
          const review = await rest.request<{ status?: { allowed?: boolean; reason?: string } }>(
            'POST',
            '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
            {
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SelfSubjectAccessReview',
                spec: { resourceAttributes: { verb, group: r.group, resource, ...(subresource ? { subresource } : {}) } },
              },
            },
          );
          rows.push(
            review.status?.allowed
              ? { check: name, status: 'ok', detail: 'allowed' }
              : { check: name, status: 'fail', detail: `not allowed (${aksDataAction(r.group, r.resource, verb)})`, fix: ROLE_FIX },
          );
        } catch (e) {
          rows.push({
            check: name,
            status: 'fail',
            detail: msg(e),
            fix: 'the identity must be able to create selfsubjectaccessreviews (every authenticated user can by default)',
          });
        }
      }
    }
    return rows;
  } finally {
    await rest.close();
  }
}

export async function runDoctorChecks(d: DoctorDeps): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  const policy = d.policy ?? appPolicy();
  for (const c of d.clusters) {
    let kc: KubeConfig;
    try {
      kc = await d.kubeConfigFor(c);
    } catch (e) {
      rows.push({
        check: `${c.name}: credentials`,
        status: 'fail',
        detail: msg(e),
        fix: 'locally: az login and the kubeContext in ops.yaml; in Azure: the app identity needs Azure Kubernetes Service Cluster User on the cluster',
      });
      continue;
    }
    rows.push(...(await permissionRows(c.name, kc, policy)));
  }
  if (d.alertmanagerUrl) {
    const url = new URL('-/ready', d.alertmanagerUrl.endsWith('/') ? d.alertmanagerUrl : `${d.alertmanagerUrl}/`);
    try {
      const res = await (d.fetch ?? fetch)(url, { signal: AbortSignal.timeout(5_000) });
      rows.push(
        res.ok
          ? { check: 'alertmanager', status: 'ok', detail: `${url.origin} ready` }
          : {
              check: 'alertmanager',
              status: 'fail',
              detail: `${url.origin}/-/ready answered ${res.status}`,
              fix: 'check alertmanager.url in ops.yaml and that Alertmanager is up',
            },
      );
    } catch (e) {
      rows.push({
        check: 'alertmanager',
        status: 'fail',
        detail: `${url.origin}: ${msg(e)}`,
        fix: 'check alertmanager.url in ops.yaml and the network path from the app',
      });
    }
  } else {
    rows.push({ check: 'alertmanager', status: 'skip', detail: 'alertmanager.url not set in ops.yaml' });
  }
  if (d.storage) {
    try {
      await d.storage();
      rows.push({ check: 'storage', status: 'ok', detail: 'audit table readable' });
    } catch (e) {
      rows.push({
        check: 'storage',
        status: 'fail',
        detail: msg(e),
        fix: 'check AzureWebJobsStorage / AzureWebJobsStorage__tableServiceUri and Storage Table Data Contributor for the identity',
      });
    }
  }
  if (d.azure) rows.push(...(await (await import('./azure-checks.js')).runAzureChecks({ ...(d.fetch ? { fetch: d.fetch } : {}), ...d.azure })));
  return rows;
}
