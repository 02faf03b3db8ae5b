// Subresources the fake serves, routed before the plain resource paths. Today: the pod
// eviction subresource, POST /api/v1/namespaces/{ns}/pods/{name}/eviction with a policy/v1
// Eviction, as pkg/registry/core/pod/storage/eviction.go implements it:
// - the name in the body must match the URL (400); dryRun from the query or deleteOptions;
// - a terminal (Succeeded/Failed), Pending or already terminating pod is deleted without
//   looking at PodDisruptionBudgets;
// - more than one PDB selecting the pod: 500 "This pod has more than one PodDisruptionBudget ...";
// - an unready pod whose PDB is healthy enough (or unhealthyPodEvictionPolicy AlwaysAllow) is
//   deleted without decrementing the budget;
// - otherwise checkAndDecrement: observedGeneration behind generation -> 429 "still being
//   processed" (Retry-After 10); disruptionsAllowed 0 -> 429 TooManyRequests "Cannot evict pod
//   as it would violate the pod's disruption budget." with a DisruptionBudget cause "The
//   disruption budget X needs N healthy pods and has M currently"; else the budget is
//   decremented (not on dry-run), the pod recorded in status.disruptedPods, and the pod deleted
//   gracefully (as DELETE does);
// - success answers 201 with a Status {status: Success}.
import type { KubeRegistry } from './kube-registry.js';
import { isPlainObject } from './kube-patch.js';
import { resourceType, type KubeObject } from './kube-resources.js';
import { parseLabelSelectorObject } from './kube-label-selector.js';
import { KubeStatusError, statusError } from './kube-status.js';
import { text } from '../../src/domain/text.js';

export interface SubresourceRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  raw: string;
}

export type SubresourceHandler = (registry: KubeRegistry, req: SubresourceRequest) => { code: number; body: unknown } | null;

const EVICTION_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/;
const CREATE_QUERY = ['pretty', 'dryRun', 'fieldManager', 'fieldValidation'];

function tooManyRequests(message: string, retryAfterSeconds: number, cause: string): KubeStatusError {
  return new KubeStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'TooManyRequests',
    code: 429,
    details: { causes: [{ reason: 'DisruptionBudget', message: cause }], ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}) },
  });
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status ?? {})['conditions'];
  return Array.isArray(conditions) && conditions.some((c) => isPlainObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

export const evictionHandler: SubresourceHandler = (registry, req) => {
  const m = EVICTION_PATH.exec(req.path);
  if (!m) return null;
  if (req.method !== 'POST') throw statusError.methodNotAllowed();
  for (const k of Object.keys(req.query)) {
    if (!CREATE_QUERY.includes(k))
      throw statusError.badRequest(`fake kube-apiserver: query parameter "${k}" is not defined for create (the real server would ignore it silently)`);
  }
  if (req.query['dryRun'] !== undefined && req.query['dryRun'] !== 'All')
    throw statusError.badRequest(`dryRun: Unsupported value: "${req.query['dryRun']}": supported values: "All"`);
  const namespace = decodeURIComponent(m[1]!);
  const name = decodeURIComponent(m[2]!);
  if ((req.contentType ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    throw statusError.unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  let body: unknown;
  try {
    body = JSON.parse(req.raw);
  } catch (e) {
    throw statusError.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (!isPlainObject(body)) throw statusError.badRequest('not a Eviction object');
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== 'policy/v1' && body['apiVersion'] !== 'policy/v1beta1') {
    throw statusError.badRequest(`the API version in the data (${text(body['apiVersion'])}) does not match the expected API version (policy/v1)`);
  }
  if (body['kind'] !== undefined && body['kind'] !== 'Eviction') throw statusError.badRequest(`${text(body['kind'])} is not an Eviction`);
  const meta = isPlainObject(body['metadata']) ? body['metadata'] : {};
  if (meta['name'] !== name) throw statusError.badRequest('name in URL does not match name in Eviction object');
  const deleteOptions = isPlainObject(body['deleteOptions']) ? body['deleteOptions'] : {};
  const optDry = Array.isArray(deleteOptions['dryRun']) ? (deleteOptions['dryRun'] as unknown[]) : [];
  if (req.query['dryRun'] && optDry.length > 0 && !(optDry.length === 1 && optDry[0] === 'All')) {
    throw statusError.badRequest(`Non-matching dry-run options in request and content: [All] and ${JSON.stringify(optDry)}`);
  }
  const dryRun = req.query['dryRun'] === 'All' || optDry.includes('All');

  const pods = resourceType('pods');
  const pod = registry.get(pods, namespace, name); // 404 when missing
  const phase = (pod.status ?? {})['phase'];
  const del = () => registry.delete(pods, namespace, name, { dryRun }, isPlainObject(deleteOptions) ? { ...deleteOptions, dryRun: undefined } : undefined);
  const success = { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' } };

  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) {
    del();
    return success;
  }
  const pdbType = resourceType('poddisruptionbudgets');
  const labels = pod.metadata.labels ?? {};
  const pdbs =
    Object.keys(labels).length === 0
      ? []
      : registry.list(pdbType, namespace, {}).items.filter((p) => parseLabelSelectorObject((p.spec ?? {})['selector'])(labels));
  if (pdbs.length > 1) {
    return {
      code: 500,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        code: 500,
      },
    };
  }
  const pdb = pdbs[0];
  if (pdb) {
    const status = pdb.status ?? {};
    const spec = pdb.spec ?? {};
    const currentHealthy = Number(status['currentHealthy'] ?? 0);
    const desiredHealthy = Number(status['desiredHealthy'] ?? 0);
    const unhealthyOk = spec['unhealthyPodEvictionPolicy'] === 'AlwaysAllow' || (currentHealthy >= desiredHealthy && desiredHealthy > 0);
    if (!isReady(pod) && unhealthyOk) {
      del();
      return success;
    }
    const pdbName = pdb.metadata.name!;
    if (Number(status['observedGeneration'] ?? 0) < Number(pdb.metadata.generation ?? 0)) {
      throw tooManyRequests(
        "Cannot evict pod as it would violate the pod's disruption budget.",
        10,
        `The disruption budget ${pdbName} is still being processed by the server.`,
      );
    }
    const allowed = Number(status['disruptionsAllowed'] ?? 0);
    if (allowed === 0) {
      throw tooManyRequests(
        "Cannot evict pod as it would violate the pod's disruption budget.",
        0,
        `The disruption budget ${pdbName} needs ${desiredHealthy} healthy pods and has ${currentHealthy} currently`,
      );
    }
    if (!dryRun) {
      const next = structuredClone(registry.store.get(pdbType.resource, `${namespace}/${pdbName}`)!);
      next.status = {
        ...(next.status ?? {}),
        disruptionsAllowed: allowed - 1,
        disruptedPods: { ...((next.status ?? {})['disruptedPods'] as object | undefined), [name]: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
      };
      registry.store.write(pdbType.resource, `${namespace}/${pdbName}`, next);
    }
  }
  del();
  return success;
};

/** Handlers tried in order before the resource paths; other fakes may add theirs. */
export const SUBRESOURCE_HANDLERS: SubresourceHandler[] = [evictionHandler];

export function routeSubresource(registry: KubeRegistry, req: SubresourceRequest): { code: number; body: unknown } | null {
  for (const h of SUBRESOURCE_HANDLERS) {
    const r = h(registry, req);
    if (r) return r;
  }
  return null;
}
