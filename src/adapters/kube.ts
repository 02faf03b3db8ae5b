// The one way into a cluster's Kubernetes API: an authenticated @kubernetes/client-node
// KubeConfig with CoreV1Api and AppsV1Api (plus BatchV1Api, PolicyV1Api, AutoscalingV2Api and
// StorageV1Api for the runbook catalogue) for a configured cluster.
//
// - Local (cluster has kubeContext, and KUBECONFIG is set or the cluster has no azure block):
//   the kubeconfig file(s) from KUBECONFIG (or ~/.kube/config) with that context; whatever
//   auth the context uses (token, client cert, exec plugin such as kubelogin) applies.
// - Azure (cluster has azure {subscriptionId, resourceGroup, clusterName}): a Microsoft Entra
//   token for the AKS server application (scope 6dae42f8-4368-4678-94ff-3960e28e3630/.default,
//   the fixed app ID kubelogin uses as --server-id) from the managed identity, and the API
//   server URL and CA from ARM managedClusters/listClusterUserCredential, whose kubeconfig
//   (base64 in kubeconfigs[].value, REST spec example ManagedClustersListClusterCredentialResult.json)
//   we read only for clusters[].cluster.server and certificate-authority-data.
//   See docs/decisions/0002-aks-access.md.
//
// Tokens are cached and refreshed 5 minutes before expiresOnTimestamp (or at
// refreshAfterTimestamp); clients are cached per cluster and rebuilt only when a new token
// arrives. client-node, @azure/identity and @azure/arm-containerservice are imported lazily:
// together they cost most of a second of cold start and a function that never touches a
// cluster should not pay it.
//
// Errors name the cluster and the fix, and never contain a token.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, KubeConfig, PolicyV1Api, StorageV1Api } from '@kubernetes/client-node';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import type { ClusterConfig } from '../config/schema.js';
import type { Settings } from '../config/settings.js';
import { appCredential } from './azure-credential.js';
import { missingAzurePermissionHint } from '../permissions/azure-forbidden.js';
import { containerServiceClients, type ContainerServiceClients } from './arm-container-service.js';

/** Entra scope of the AKS AAD server application, the same for every AKS cluster. */
export const AKS_AAD_SERVER_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';
/** kubeContext value meaning "the kubeconfig's current-context" (what kubectl uses now). */
export const CURRENT_CONTEXT = '@current';
/** Refresh a cached token this long before it expires. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export interface KubeApis {
  cluster: string;
  /** How the client authenticates: the local kubeconfig context, or the managed identity. */
  via: 'kubeconfig' | 'azure';
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  // The runbook catalogue's API groups. Always set by this adapter; optional in the type so
  // code that builds a KubeApis by hand for core/apps only (tests of other jobs) still compiles.
  /** Jobs (run-job, delete-failed-jobs). */
  batch?: BatchV1Api;
  /** PodDisruptionBudgets (drain-node reads them through the eviction answers). */
  policy?: PolicyV1Api;
  /** HorizontalPodAutoscalers (scale-workload). */
  autoscaling?: AutoscalingV2Api;
  /** StorageClasses (expand-pvc). */
  storage?: StorageV1Api;
}

/** The parts of a configured cluster (ops.yaml clusters[]) the adapter needs. */
export type KubeClusterRef = Pick<ClusterConfig, 'name' | 'azure' | 'kubeContext'>;

export interface KubeAccessOptions {
  /** Kubeconfig path(s), joined like KUBECONFIG; default ~/.kube/config. */
  kubeconfigPath?: string;
  /**
   * Use kubeContext when a cluster names both kubeContext and azure. Default: true when
   * kubeconfigPath is given (a developer machine), false otherwise (Azure).
   */
  preferKubeContext?: boolean;
  /** Client ID of the user-assigned managed identity (AZURE_CLIENT_ID). */
  managedIdentityClientId?: string;
  /**
   * Credential for ARM and the AKS token. Default: ManagedIdentityCredential with
   * managedIdentityClientId when set, otherwise DefaultAzureCredential (az login locally).
   */
  credential?: TokenCredential;
  /** Options for the ARM client (tests point `endpoint` and `tlsOptions` at a fake). */
  armClientOptions?: ContainerServiceClientOptionalParams;
  /** Clock in epoch milliseconds, for token expiry. */
  now?: () => number;
  refreshMarginMs?: number;
}

export interface KubeAccess {
  /** Authenticated clients for the cluster; cached, rebuilt when the AKS token is refreshed. */
  forCluster(cluster: KubeClusterRef): Promise<KubeApis>;
  /** Drops what is cached for a cluster (clients, endpoint and CA), e.g. after a CA rotation. */
  forget(clusterName: string): void;
}

/** Adapter options from the app settings (KUBECONFIG, AZURE_CLIENT_ID). */
export function kubeAccessOptionsFromSettings(settings: Pick<Settings, 'kubeconfig' | 'managedIdentityClientId'>): KubeAccessOptions {
  return {
    ...(settings.kubeconfig !== undefined ? { kubeconfigPath: settings.kubeconfig } : {}),
    ...(settings.managedIdentityClientId !== undefined ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
  };
}

export function createKubeAccess(options: KubeAccessOptions = {}): KubeAccess {
  return new CachingKubeAccess(options);
}

type ClientNode = typeof import('@kubernetes/client-node');
type AzureRef = NonNullable<KubeClusterRef['azure']>;

interface ClusterEndpoint {
  server: string;
  caData: string;
}

interface CachedToken {
  token: AccessToken;
  /** Increases with every new token; clients built with an older serial are stale. */
  serial: number;
}

function loadClientNode(): Promise<ClientNode> {
  return import('@kubernetes/client-node');
}

function buildApis(k8s: ClientNode, cluster: string, via: KubeApis['via'], kubeConfig: KubeConfig): KubeApis {
  return {
    cluster,
    via,
    kubeConfig,
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    apps: kubeConfig.makeApiClient(k8s.AppsV1Api),
    batch: kubeConfig.makeApiClient(k8s.BatchV1Api),
    policy: kubeConfig.makeApiClient(k8s.PolicyV1Api),
    autoscaling: kubeConfig.makeApiClient(k8s.AutoscalingV2Api),
    storage: kubeConfig.makeApiClient(k8s.StorageV1Api),
  };
}

/** Cache key of a cluster: its name, then what locates it (context or ARM coordinates). */
function cacheKey(cluster: string, locator: string): string {
  return `${cluster}\u0000${locator}`;
}

/** Caches a promise per key and forgets it when it rejects, so a fixed problem can be retried. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit;
  const p = make();
  cache.set(key, p);
  p.catch(() => {
    if (cache.get(key) === p) cache.delete(key);
  });
  return p;
}

class CachingKubeAccess implements KubeAccess {
  private readonly now: () => number;
  private readonly margin: number;
  private readonly local = new Map<string, Promise<KubeApis>>();
  private readonly endpoints = new Map<string, Promise<ClusterEndpoint>>();
  private readonly azureApis = new Map<string, { serial: number; apis: Promise<KubeApis> }>();
  /** One ContainerServiceClient per subscription (the shared cache in arm-container-service.ts). */
  private readonly armClient: ContainerServiceClients;
  private credential: Promise<TokenCredential> | undefined;
  private token: CachedToken | undefined;
  private tokenRequest: Promise<CachedToken> | undefined;
  private tokenSerial = 0;

  constructor(private readonly options: KubeAccessOptions) {
    this.now = options.now ?? Date.now;
    this.margin = options.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS;
    this.armClient = containerServiceClients(() => this.getCredential(), options.armClientOptions ?? {});
  }

  async forCluster(cluster: KubeClusterRef): Promise<KubeApis> {
    const preferContext = this.options.preferKubeContext ?? this.options.kubeconfigPath !== undefined;
    if (cluster.kubeContext !== undefined && (cluster.azure === undefined || preferContext)) {
      const context = cluster.kubeContext;
      return remember(this.local, cacheKey(cluster.name, context), () => this.viaKubeconfig(cluster.name, context));
    }
    if (cluster.azure === undefined) {
      throw new Error(
        `cluster ${cluster.name}: names neither azure nor kubeContext. Fix: give azure {subscriptionId, resourceGroup, clusterName} for Azure, or kubeContext for a local kubeconfig context`,
      );
    }
    return this.viaAzure(cluster.name, cluster.azure);
  }

  forget(clusterName: string): void {
    for (const cache of [this.local, this.endpoints, this.azureApis]) {
      for (const key of cache.keys()) if (key.startsWith(cacheKey(clusterName, ''))) cache.delete(key);
    }
  }

  // ---------------------------------------------------------------- kubeconfig

  private async viaKubeconfig(name: string, context: string): Promise<KubeApis> {
    const files = (this.options.kubeconfigPath ?? join(homedir(), '.kube', 'config')).split(delimiter).filter((f) => f !== '');
    const where = files.join(delimiter);
    for (const f of files) {
      if (!existsSync(f)) {
        throw new Error(
          `cluster ${name}: kubeconfig file ${f} not found. Fix: set KUBECONFIG to your kubeconfig file, or create ~/.kube/config (az aks get-credentials --resource-group <rg> --name <aks> --context ${context})`,
        );
      }
    }
    const k8s = await loadClientNode();
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromFile(files[0]!);
      for (const f of files.slice(1)) {
        const more = new k8s.KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
    } catch (e) {
      throw new Error(
        `cluster ${name}: kubeconfig ${where} could not be read (${(e as Error).message}). Fix: check the file is a valid kubeconfig (kubectl config view)`,
      );
    }
    if (context === CURRENT_CONTEXT) {
      // `npm start` runs against whatever context kubectl currently points at.
      const current = kc.getCurrentContext();
      if (!current) {
        throw new Error(
          `cluster ${name}: kubeContext is '${CURRENT_CONTEXT}' but ${where} has no current-context. Fix: kubectl config use-context <name>, or name the context in ops.yaml`,
        );
      }
      context = current;
    }
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `cluster ${name}: kube context '${context}' not found in ${where} (it has: ${known.length > 0 ? known.join(', ') : 'no contexts'}). Fix: set kubeContext of cluster ${name} to one of those, or add the context (az aks get-credentials ... --context ${context})`,
      );
    }
    kc.setCurrentContext(context);
    if (!kc.getCurrentCluster()) {
      throw new Error(
        `cluster ${name}: kube context '${context}' in ${where} refers to a cluster entry that does not exist. Fix: repair the context (kubectl config get-contexts)`,
      );
    }
    return buildApis(k8s, name, 'kubeconfig', kc);
  }

  // ---------------------------------------------------------------- Azure

  private async viaAzure(name: string, azure: AzureRef): Promise<KubeApis> {
    // Keyed by name and ARM coordinates, so a reloaded config that moves a cluster is honoured.
    const key = cacheKey(name, `${azure.subscriptionId}/${azure.resourceGroup}/${azure.clusterName}`);
    const token = await this.aksToken(name);
    const cached = this.azureApis.get(key);
    if (cached && cached.serial === token.serial) return cached.apis;
    const apis = (async () => {
      const endpoint = await remember(this.endpoints, key, () => this.fetchEndpoint(name, azure));
      const k8s = await loadClientNode();
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name, server: endpoint.server, caData: endpoint.caData, skipTLSVerify: false }],
        users: [{ name: 'managed-identity', token: token.token.token }],
        contexts: [{ name, cluster: name, user: 'managed-identity' }],
        currentContext: name,
      });
      return buildApis(k8s, name, 'azure', kc);
    })();
    const entry = { serial: token.serial, apis };
    this.azureApis.set(key, entry);
    apis.catch(() => {
      if (this.azureApis.get(key) === entry) this.azureApis.delete(key);
    });
    return apis;
  }

  private getCredential(): Promise<TokenCredential> {
    if (this.options.credential) return Promise.resolve(this.options.credential);
    this.credential ??= appCredential(this.options.managedIdentityClientId);
    return this.credential;
  }

  private needsRefresh(t: AccessToken): boolean {
    const now = this.now();
    return now >= t.expiresOnTimestamp - this.margin || (t.refreshAfterTimestamp !== undefined && now >= t.refreshAfterTimestamp);
  }

  /** The cached AKS token, refreshed ahead of expiry; one request at a time for all clusters. */
  private async aksToken(cluster: string): Promise<CachedToken> {
    const current = this.token;
    if (current && !this.needsRefresh(current.token)) return current;
    this.tokenRequest ??= (async () => {
      try {
        const credential = await this.getCredential();
        const token = await credential.getToken(AKS_AAD_SERVER_SCOPE);
        if (!token) throw new Error('the credential returned no token');
        this.token = { token, serial: ++this.tokenSerial };
        return this.token;
      } finally {
        this.tokenRequest = undefined;
      }
    })();
    try {
      return await this.tokenRequest;
    } catch (e) {
      // A refresh ahead of expiry that fails leaves the old token usable until it expires.
      if (current && this.now() < current.token.expiresOnTimestamp) return current;
      const who = this.options.credential
        ? 'the configured credential'
        : this.options.managedIdentityClientId
          ? `managed identity ${this.options.managedIdentityClientId}`
          : 'DefaultAzureCredential';
      throw new Error(
        `cluster ${cluster}: could not get a Microsoft Entra token for the AKS API (scope ${AKS_AAD_SERVER_SCOPE}) from ${who}: ${this.redact((e as Error).message)}. Fix: in Azure, set AZURE_CLIENT_ID to the client ID of the function app's user-assigned identity; locally, run az login`,
      );
    }
  }

  /** API server URL and CA of the AKS cluster, from the kubeconfig ARM hands out. */
  private async fetchEndpoint(name: string, azure: AzureRef): Promise<ClusterEndpoint> {
    const id = `/subscriptions/${azure.subscriptionId}/resourceGroups/${azure.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${azure.clusterName}`;
    const client = await this.armClient(azure.subscriptionId);
    let kubeconfigText: string | undefined;
    try {
      const result = await client.managedClusters.listClusterUserCredentials(azure.resourceGroup, azure.clusterName);
      const value = result.kubeconfigs?.find((k) => k.value !== undefined && k.value.length > 0)?.value;
      kubeconfigText = value ? Buffer.from(value).toString('utf8') : undefined;
    } catch (e) {
      throw this.armError(name, id, e);
    }
    if (!kubeconfigText) {
      throw new Error(
        `cluster ${name}: ARM listClusterUserCredential for ${id} returned no kubeconfig. Fix: check the cluster is provisioned (az aks show --ids ${id})`,
      );
    }
    const k8s = await loadClientNode();
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromString(kubeconfigText);
    } catch (e) {
      throw new Error(
        `cluster ${name}: the kubeconfig ARM returned for ${id} could not be parsed (${(e as Error).message}). Fix: report this; az aks get-credentials shows what ARM returns`,
      );
    }
    // The user section may hold credentials (clusters with local accounts): never read it.
    const c = kc.getCurrentCluster() ?? kc.getClusters()[0];
    if (!c?.server || !c.caData) {
      throw new Error(
        `cluster ${name}: the kubeconfig ARM returned for ${id} has no server or certificate-authority-data. Fix: check the cluster with az aks show --ids ${id}`,
      );
    }
    return { server: c.server, caData: c.caData };
  }

  private armError(name: string, id: string, e: unknown): Error {
    const status = (e as { statusCode?: unknown }).statusCode;
    const code = (e as { code?: unknown }).code;
    const detail = `ARM ${typeof status === 'number' ? status : 'error'}${typeof code === 'string' ? ` ${code}` : ''}: ${this.redact((e as Error).message)}`;
    const hint = status === 403 ? missingAzurePermissionHint((e as Error).message) : undefined;
    if (hint) return new Error(`cluster ${name}: not allowed to read the user credentials of ${id} (${detail}). ${hint}`);
    if (status === 401 || status === 403) {
      return new Error(
        `cluster ${name}: not allowed to read the user credentials of ${id} (${detail}). Fix: assign the role "Azure Kubernetes Service Cluster User Role" on the cluster to the function app's managed identity`,
      );
    }
    if (status === 404) {
      return new Error(
        `cluster ${name}: AKS cluster ${id} not found (${detail}). Fix: check azure.subscriptionId, azure.resourceGroup and azure.clusterName of cluster ${name} in the ops config`,
      );
    }
    return new Error(
      `cluster ${name}: reading the API server address of ${id} from ARM failed (${detail}). Fix: retry; if it persists check ARM availability and the cluster state (az aks show --ids ${id})`,
    );
  }

  /** Belt and braces: a token never reaches an error message, whoever wrote the message. */
  private redact(text: string): string {
    const t = this.token?.token.token;
    return t ? text.split(t).join('[redacted]') : text;
  }
}
