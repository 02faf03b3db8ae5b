// A fake of the one ARM operation the Kubernetes adapter uses:
//   POST /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}/listClusterUserCredential?api-version=...
// answering the published shape {"kubeconfigs":[{"name":"clusterUser","value":"<base64 kubeconfig>"}]}
// (azure-rest-api-specs .../examples/ManagedClustersListClusterCredentialResult.json), with ARM
// error bodies {"error":{"code","message"}} for 401/403/404. It serves HTTPS because the Azure
// SDK's bearer-token policy refuses plain http; clients trust it through tlsOptions.ca.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { allowsAzure, appAzurePolicy, armAuthorizationFailed, armOperation, armScope } from './azure-authz.js';
import { testCertificate } from './kube-tls.js';

export interface FakeAksCluster {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** API server URL written into the kubeconfig (e.g. a FakeKubeApiServer with tls). */
  server: string;
  /** Base64 PEM CA written as certificate-authority-data. */
  caData: string;
}

export interface RecordedArmRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether a bearer token the fake accepts was sent (the token itself is not kept). */
  authorized: boolean;
  status: number;
}

const PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/listClusterUserCredential$/i;

/** The kubeconfig AKS hands out for a cluster with AKS-managed Entra ID (exec kubelogin user). */
export function aksUserKubeconfig(c: FakeAksCluster): string {
  const user = `clusterUser_${c.resourceGroup}_${c.name}`;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${c.caData}`,
    `    server: ${c.server}`,
    `  name: ${c.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${c.name}`,
    `    user: ${user}`,
    `  name: ${c.name}`,
    `current-context: ${c.name}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${user}`,
    '  user:',
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1beta1',
    '      args:',
    '      - get-token',
    '      - --environment',
    '      - AzurePublicCloud',
    '      - --server-id',
    '      - 6dae42f8-4368-4678-94ff-3960e28e3630',
    '      - --client-id',
    '      - 80faf920-1908-4b52-b5ef-a8e7bedfc67a',
    '      - --tenant-id',
    '      - 00000000-0000-0000-0000-000000000000',
    '      - --login',
    '      - devicecode',
    '      command: kubelogin',
    '      env: null',
    '      provideClusterInfo: false',
    '',
  ].join('\n');
}

export class FakeAksArm {
  readonly requests: RecordedArmRequest[] = [];
  private readonly clusters: FakeAksCluster[] = [];
  private nextFailure: { status: number; code: string; message: string } | undefined;
  private server: Server | undefined;
  private baseUrl = '';
  /** PEM the ARM client must trust (pass as armClientOptions.tlsOptions.ca). */
  readonly caPem = testCertificate().certPem;
  /** Operations the caller holds (azure-authz.ts); undefined allows everything. */
  policy: readonly string[] | undefined = appAzurePolicy();

  constructor(private readonly acceptToken: (token: string) => boolean) {}

  get url(): string {
    return this.baseUrl;
  }

  addCluster(c: FakeAksCluster): void {
    this.clusters.push(c);
  }

  /** The next request answers with this ARM error. */
  failNext(status: number, code: string, message: string): void {
    this.nextFailure = { status, code, message };
  }

  async start(): Promise<this> {
    const cert = testCertificate();
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const record: RecordedArmRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams.entries()),
        authorized: m !== null && this.acceptToken(m[1]!),
        status: 0,
      };
      this.requests.push(record);
      const send = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() });
        res.end(JSON.stringify(body));
      };
      req.resume();
      req.on('end', () => {
        if (!record.authorized) {
          return send(401, { error: { code: 'AuthenticationFailed', message: 'Authentication failed. The Authorization header is missing or invalid.' } });
        }
        if (!record.query['api-version']) {
          return send(400, {
            error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' },
          });
        }
        if (this.nextFailure) {
          const f = this.nextFailure;
          this.nextFailure = undefined;
          return send(f.status, { error: { code: f.code, message: f.message } });
        }
        const action = armOperation(req.method ?? 'GET', url.pathname);
        if (action !== undefined && !allowsAzure(this.policy, action))
          return send(403, { error: armAuthorizationFailed(action, armScope(req.method ?? 'GET', url.pathname)) });
        const p = PATH.exec(url.pathname);
        if (req.method !== 'POST' || !p)
          return send(404, {
            error: { code: 'InvalidResourceType', message: `The resource type could not be found in the namespace for path '${url.pathname}'.` },
          });
        const c = this.clusters.find(
          (x) => x.subscriptionId === p[1] && x.resourceGroup.toLowerCase() === p[2]!.toLowerCase() && x.name.toLowerCase() === p[3]!.toLowerCase(),
        );
        if (!c) {
          return send(404, {
            error: {
              code: 'ResourceNotFound',
              message: `The Resource 'Microsoft.ContainerService/managedClusters/${p[3]}' under resource group '${p[2]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
            },
          });
        }
        send(200, { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(aksUserKubeconfig(c)).toString('base64') }] });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Starts the fake ARM endpoint on 127.0.0.1 (HTTPS). `acceptToken` decides which bearer tokens pass. */
export function startFakeAksArm(acceptToken: (token: string) => boolean = (t) => t.length > 0): Promise<FakeAksArm> {
  return new FakeAksArm(acceptToken).start();
}
