// What the API server's generic registry does with an object on each verb, for the kinds
// the fake serves (k8s.io/apiserver/pkg/registry/generic/registry/store.go, rest/create.go,
// rest/update.go, rest/delete.go, and the per-kind strategies under pkg/registry):
// system fields on create, optimistic concurrency on update, generation bumps on spec
// change, status kept on main-resource writes, no-op writes that do not bump the
// resourceVersion, graceful pod deletion, dry-run that persists nothing.
import { randomUUID } from 'node:crypto';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, deepEqual, isPlainObject, PATCH_CONTENT_TYPES } from './kube-patch.js';
import { apiVersionOf, resourceType, RESOURCE_TYPES, type KubeObject, type ResourceType } from './kube-resources.js';
import { parseFieldSelector, parseLabelSelector } from './kube-selectors.js';
import { statusError, successStatus, type StatusBody } from './kube-status.js';
import { VersionedStore } from './kube-store.js';

export interface WriteOptions {
  dryRun: boolean;
}

export interface ListQuery {
  limit?: string;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface DeleteQuery extends WriteOptions {
  gracePeriodSeconds?: string;
  propagationPolicy?: string;
}

export interface ListResult {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const WORKLOADS = new Set(['deployments', 'replicasets', 'statefulsets', 'daemonsets']);
const EXPIRED_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** rand.String from apimachinery: the alphabet of generated name suffixes. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHANUMS[Math.floor(Math.random() * SAFE_ALPHANUMS.length)];
  return s;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function objectKey(rt: ResourceType, namespace: string | undefined, name: string): string {
  return rt.namespaced ? `${namespace}/${name}` : name;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export class KubeRegistry {
  constructor(
    readonly store: VersionedStore,
    private readonly now: () => Date,
  ) {}

  // ------------------------------------------------------------------ reads

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(rt.resource, objectKey(rt, namespace, name));
    if (!obj) throw statusError.notFound(rt, name);
    return withTypeMeta(rt, obj);
  }

  list(rt: ResourceType, namespace: string | undefined, q: ListQuery): ListResult {
    const limit = q.limit === undefined || q.limit === '' ? 0 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 0) throw statusError.badRequest(`limit: Invalid value: "${q.limit}": must be a non-negative integer`);
    const labels = parseLabelSelector(q.labelSelector);
    const fields = parseFieldSelector(q.fieldSelector, Object.keys(rt.fieldSelectors));

    let readRv = this.store.revision;
    let start = '';
    if (q.continue) {
      if (q.resourceVersion && q.resourceVersion !== '0') {
        throw statusError.badRequest('specifying resource version is not allowed when using continue');
      }
      const token = decodeContinue(q.continue);
      if (token.rv < this.store.compactedRevision) throw statusError.expired(EXPIRED_CONTINUE);
      readRv = token.rv;
      start = token.start;
    } else if (q.resourceVersion && q.resourceVersion !== '0') {
      const rv = Number(q.resourceVersion);
      if (!Number.isInteger(rv) || rv <= 0) throw statusError.badRequest(`resourceVersion: Invalid value: "${q.resourceVersion}"`);
      if (q.resourceVersionMatch === 'Exact') {
        if (rv < this.store.compactedRevision) throw statusError.expired(`too old resource version: ${rv} (${this.store.compactedRevision})`);
        if (rv > this.store.revision) throw statusError.timeout(`Too large resource version: ${rv}, current: ${this.store.revision}`);
        readRv = rv;
      } else if (rv > this.store.revision) {
        throw statusError.timeout(`Too large resource version: ${rv}, current: ${this.store.revision}`);
      }
    }

    const prefix = rt.namespaced && namespace !== undefined ? `${namespace}/` : '';
    const matching = this.store
      .list(rt.resource, prefix, readRv)
      .filter((e) => e.key >= start)
      .filter((e) => labels(e.obj.metadata.labels) && fields((f) => rt.fieldSelectors[f]!(e.obj)));
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const metadata: ListResult['metadata'] = { resourceVersion: String(readRv) };
    if (page.length < matching.length) {
      metadata.continue = encodeContinue(readRv, `${page[page.length - 1]!.key}\u0000`);
      // Like the real server, only an unfiltered list knows how many items remain.
      if (!q.labelSelector && !q.fieldSelector) metadata.remainingItemCount = matching.length - page.length;
    }
    // List items carry no apiVersion/kind on the wire (only the list has them).
    const items = page.map(({ obj }) => {
      const { apiVersion: _v, kind: _k, ...rest } = obj;
      return rest;
    });
    return { apiVersion: apiVersionOf(rt), kind: rt.listKind, metadata, items };
  }

  // ------------------------------------------------------------------ create

  create(rt: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions): KubeObject {
    const obj = decodeObject(rt, body);
    const meta = obj.metadata;
    if (rt.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw statusError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name) {
      throw statusError.invalid(rt, '', [
        { field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' },
      ]);
    }
    if (meta.resourceVersion) throw statusError.badRequest('resourceVersion should not be set on objects to be created');
    if (rt.namespaced) this.requireNamespace(namespace!);
    const key = objectKey(rt, namespace, meta.name);
    if (this.store.get(rt.resource, key)) throw statusError.alreadyExists(rt, meta.name);

    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (rt.generationOn.length > 0) meta.generation = 1;
    else delete meta.generation;
    obj.status = initialStatus(rt, obj);
    applyDefaults(rt, obj);
    validate(rt, obj);
    rt.hooks?.admit?.(this.admissionContext(), obj, undefined);
    if (!opts.dryRun) this.store.write(rt.resource, key, obj);
    return obj;
  }

  // ------------------------------------------------------------------ update / patch

  update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions): KubeObject {
    const current = this.get(rt, namespace, name);
    const candidate = decodeObject(rt, body);
    return this.commitUpdate(rt, current, candidate, opts);
  }

  patch(rt: ResourceType, namespace: string | undefined, name: string, contentType: string, rawBody: string, opts: WriteOptions): KubeObject {
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!(PATCH_CONTENT_TYPES as readonly string[]).includes(mediaType)) {
      throw statusError.unsupportedMediaType([...PATCH_CONTENT_TYPES]);
    }
    if (mediaType === 'application/apply-patch+yaml') {
      throw statusError.badRequest('fake kube-apiserver: server-side apply (application/apply-patch+yaml) is not implemented');
    }
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch (e) {
      throw statusError.badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const current = this.get(rt, namespace, name);
    const apply =
      mediaType === 'application/json-patch+json' ? applyJsonPatch : mediaType === 'application/merge-patch+json' ? applyMergePatch : applyStrategicMergePatch;
    const patched = apply(current, patch);
    return this.commitUpdate(rt, current, decodeObject(rt, patched), opts);
  }

  private commitUpdate(rt: ResourceType, current: KubeObject, candidate: KubeObject, opts: WriteOptions): KubeObject {
    const name = current.metadata.name!;
    const cm = candidate.metadata;
    if (cm.name !== undefined && cm.name !== name) {
      throw statusError.badRequest(`the name of the object (${cm.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && cm.namespace !== undefined && cm.namespace !== '' && cm.namespace !== current.metadata.namespace) {
      throw statusError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    // Optimistic concurrency: a resourceVersion in the request must be the current one;
    // none means an unconditional update (allowed for every kind the fake serves).
    if (cm.resourceVersion && cm.resourceVersion !== current.metadata.resourceVersion) {
      throw statusError.staleResourceVersion(rt, name);
    }
    if (cm.uid && cm.uid !== current.metadata.uid) {
      throw statusError.conflict(rt, name, `Precondition failed: UID in precondition: ${cm.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    const next: KubeObject = { ...candidate, metadata: { ...cm } };
    const nm = next.metadata;
    nm.name = name;
    if (rt.namespaced) nm.namespace = current.metadata.namespace;
    nm.uid = current.metadata.uid;
    nm.creationTimestamp = current.metadata.creationTimestamp;
    nm.resourceVersion = current.metadata.resourceVersion;
    for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (current.metadata[f] === undefined) delete nm[f];
      else nm[f] = current.metadata[f] as never;
    }
    // Main-resource writes never change status (it has its own subresource).
    if (current.status === undefined) delete next.status;
    else next.status = structuredClone(current.status);
    applyDefaults(rt, next);
    checkImmutable(rt, current, next);
    validate(rt, next);
    rt.hooks?.admit?.(this.admissionContext(), next, current);
    const specChanged = !deepEqual(current.spec, next.spec);
    const annotationsChanged = !deepEqual(current.metadata.annotations ?? {}, nm.annotations ?? {});
    if (nm.generation !== undefined && ((rt.generationOn.includes('spec') && specChanged) || (rt.generationOn.includes('annotations') && annotationsChanged))) {
      nm.generation += 1;
    }
    // etcd skips a write whose bytes equal the stored ones: no new resourceVersion.
    if (deepEqual(current, next)) return current;
    if (!opts.dryRun) this.store.write(rt.resource, objectKey(rt, nm.namespace, name), next);
    return next;
  }

  // ------------------------------------------------------------------ delete

  delete(rt: ResourceType, namespace: string | undefined, name: string, q: DeleteQuery, body: unknown): { code: number; body: KubeObject | StatusBody } {
    const current = this.get(rt, namespace, name);
    const opts = isPlainObject(body) ? body : {};
    const pre = isPlainObject(opts['preconditions']) ? opts['preconditions'] : {};
    if (typeof pre['uid'] === 'string' && pre['uid'] !== current.metadata.uid) {
      throw statusError.conflict(rt, name, `Precondition failed: UID in precondition: ${pre['uid']}, UID in object meta: ${current.metadata.uid}`);
    }
    if (typeof pre['resourceVersion'] === 'string' && pre['resourceVersion'] !== current.metadata.resourceVersion) {
      throw statusError.conflict(
        rt,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre['resourceVersion']}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const dryRun = q.dryRun || (Array.isArray(opts['dryRun']) && opts['dryRun'].includes('All'));
    const graceRaw = q.gracePeriodSeconds ?? (typeof opts['gracePeriodSeconds'] === 'number' ? String(opts['gracePeriodSeconds']) : undefined);
    const grace = graceRaw === undefined ? undefined : Number(graceRaw);
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw statusError.badRequest(`gracePeriodSeconds: Invalid value: "${graceRaw}"`);
    const policy = q.propagationPolicy ?? str(opts['propagationPolicy']) ?? rt.hooks?.defaultPropagationPolicy ?? 'Background';
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw statusError.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const key = objectKey(rt, namespace, name);

    if (rt.resource === 'pods') {
      // Pods return the object; a scheduled pod is deleted gracefully (kept with a
      // deletionTimestamp until the kubelet confirms, see finishPodTermination).
      const spec = current.spec ?? {};
      const scheduled = typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '';
      const effectiveGrace = scheduled
        ? (grace ?? (typeof spec['terminationGracePeriodSeconds'] === 'number' ? spec['terminationGracePeriodSeconds'] : 30))
        : 0;
      if (effectiveGrace > 0) {
        if (current.metadata.deletionTimestamp) return { code: 200, body: current };
        const next = structuredClone(current);
        next.metadata.deletionTimestamp = rfc3339(new Date(this.now().getTime() + effectiveGrace * 1000));
        next.metadata.deletionGracePeriodSeconds = effectiveGrace;
        if (next.metadata.generation !== undefined) next.metadata.generation += 1;
        if (!dryRun) this.store.write(rt.resource, key, next);
        return { code: 200, body: next };
      }
      if (!dryRun) this.store.write(rt.resource, key, null);
      return { code: 200, body: current };
    }

    if (!dryRun) {
      this.store.write(rt.resource, key, null);
      if (rt.resource === 'namespaces') this.deleteNamespaceContents(name);
      else if (policy !== 'Orphan') this.collectDependents(current.metadata.uid!, current.metadata.namespace);
    }
    return { code: 200, body: successStatus(rt, name, current.metadata.uid!) };
  }

  /** Removes a terminating pod, as the kubelet does once its containers stopped. */
  finishPodTermination(namespace: string, name: string): void {
    const rt = resourceType('pods');
    const key = objectKey(rt, namespace, name);
    if (this.store.get(rt.resource, key)) this.store.write(rt.resource, key, null);
  }

  private deleteNamespaceContents(namespace: string): void {
    // Every namespaced kind goes with its namespace (the namespace controller, done at once).
    for (const rt of RESOURCE_TYPES.filter((r) => r.namespaced)) {
      for (const e of this.store.list(rt.resource, `${namespace}/`)) this.store.write(rt.resource, e.key, null);
    }
  }

  /** The garbage collector, done at once: delete objects whose owner went away. */
  private collectDependents(ownerUid: string, namespace: string | undefined): void {
    if (namespace === undefined) return;
    for (const rt of [resourceType('replicasets'), resourceType('pods')]) {
      for (const e of this.store.list(rt.resource, `${namespace}/`)) {
        if ((e.obj.metadata.ownerReferences ?? []).some((o) => o.uid === ownerUid)) {
          this.store.write(rt.resource, e.key, null);
          this.collectDependents(e.obj.metadata.uid!, namespace);
        }
      }
    }
  }

  // ------------------------------------------------------------------ seeding

  /** Stores an object as a controller would have left it (status allowed), creating its namespace. */
  seed(rt: ResourceType, input: KubeObject): KubeObject {
    const obj = decodeObject(rt, structuredClone(input));
    const meta = obj.metadata;
    if (!meta.name) throw new Error('seed: metadata.name is required');
    if (rt.namespaced) {
      if (!meta.namespace) throw new Error(`seed: ${rt.kind} ${meta.name} needs metadata.namespace`);
      if (!this.store.get('namespaces', meta.namespace)) this.seed(resourceType('namespaces'), { metadata: { name: meta.namespace } });
    }
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= rfc3339(this.now());
    if (rt.generationOn.length > 0) meta.generation ??= 1;
    obj.status ??= initialStatus(rt, obj);
    applyDefaults(rt, obj);
    validate(rt, obj);
    this.store.write(rt.resource, objectKey(rt, meta.namespace, meta.name), obj);
    return obj;
  }

  /** What admission hooks may read: other stored objects (e.g. a PVC's StorageClass). */
  private admissionContext() {
    return {
      get: (resource: string, namespace: string | undefined, name: string) => {
        const t = resourceType(resource);
        return this.store.get(t.resource, objectKey(t, namespace, name));
      },
      resourceType: (resource: string) => resourceType(resource),
    };
  }

  private requireNamespace(namespace: string): void {
    if (!this.store.get('namespaces', namespace)) throw statusError.notFound(resourceType('namespaces'), namespace);
  }
}

// -------------------------------------------------------------------- helpers

function withTypeMeta(rt: ResourceType, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(rt), kind: rt.kind, ...obj };
}

/** The decode step: type checks the JSON decoder would fail on answer 400. */
function decodeObject(rt: ResourceType, body: unknown): KubeObject {
  if (!isPlainObject(body)) throw statusError.badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  const obj = structuredClone(body) as unknown as KubeObject;
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt)) {
    throw statusError.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`);
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw statusError.badRequest(
      `${String(obj.kind)} in version "${rt.version}" cannot be handled as a ${rt.kind}: the kind in the data does not match the endpoint`,
    );
  }
  obj.apiVersion = apiVersionOf(rt);
  obj.kind = rt.kind;
  if (obj.metadata === undefined) obj.metadata = {};
  if (!isPlainObject(obj.metadata))
    throw statusError.badRequest(`json: cannot unmarshal ${typeof obj.metadata} into Go struct field ${rt.kind}.metadata of type v1.ObjectMeta`);
  for (const field of ['labels', 'annotations'] as const) {
    const m = obj.metadata[field];
    if (m === undefined || m === null) {
      delete obj.metadata[field];
      continue;
    }
    if (!isPlainObject(m))
      throw statusError.badRequest(`json: cannot unmarshal ${typeof m} into Go struct field ObjectMeta.metadata.${field} of type map[string]string`);
    for (const v of Object.values(m)) {
      if (typeof v !== 'string') {
        throw statusError.badRequest(`json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${field} of type string`);
      }
    }
  }
  for (const t of templatesOf(rt, obj)) {
    const tm = t['metadata'];
    if (isPlainObject(tm) && isPlainObject(tm['annotations'])) {
      for (const v of Object.values(tm['annotations'])) {
        if (typeof v !== 'string') {
          throw statusError.badRequest(`json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.spec.template.metadata.annotations of type string`);
        }
      }
    }
  }
  return obj;
}

/** The pod templates inside a workload (spec.template). */
function templatesOf(rt: ResourceType, obj: KubeObject): Array<Record<string, unknown>> {
  if (!WORKLOADS.has(rt.resource)) return [];
  const t = (obj.spec ?? {})['template'];
  return isPlainObject(t) ? [t] : [];
}

function initialStatus(rt: ResourceType, obj: KubeObject): Record<string, unknown> | undefined {
  switch (rt.resource) {
    case 'pods':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'namespaces':
      return { phase: 'Active' };
    case 'nodes':
      return obj.status;
    default:
      return {};
  }
}

function defaultPodSpec(spec: Record<string, unknown>): void {
  spec['restartPolicy'] ??= 'Always';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['securityContext'] ??= {};
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (!Array.isArray(cs)) continue;
    for (const c of cs) {
      if (!isPlainObject(c)) continue;
      c['terminationMessagePath'] ??= '/dev/termination-log';
      c['terminationMessagePolicy'] ??= 'File';
      c['resources'] ??= {};
      const image = typeof c['image'] === 'string' ? c['image'] : '';
      const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
      c['imagePullPolicy'] ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
    }
  }
}

/** SetDefaults_* of core/v1 and apps/v1 for the fields runbooks look at. */
function applyDefaults(rt: ResourceType, obj: KubeObject): void {
  rt.hooks?.defaults?.(obj);
  if (rt.resource === 'namespaces') {
    obj.spec ??= {};
    obj.spec['finalizers'] ??= ['kubernetes'];
    return;
  }
  if (rt.resource === 'pods') {
    obj.spec ??= {};
    defaultPodSpec(obj.spec);
    return;
  }
  if (!WORKLOADS.has(rt.resource)) return;
  const spec = (obj.spec ??= {});
  if (rt.resource !== 'daemonsets') spec['replicas'] ??= 1;
  if (rt.resource !== 'replicasets') spec['revisionHistoryLimit'] ??= 10;
  if (rt.resource === 'deployments') {
    spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    spec['progressDeadlineSeconds'] ??= 600;
  }
  if (rt.resource === 'statefulsets') {
    spec['podManagementPolicy'] ??= 'OrderedReady';
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  }
  if (rt.resource === 'daemonsets') {
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  }
  for (const t of templatesOf(rt, obj)) {
    const ps = t['spec'];
    if (isPlainObject(ps)) defaultPodSpec(ps);
  }
}

type Cause = { field: string; message: string; reason?: string };

/** The validation failures a runbook could plausibly cause; each answers 422 Invalid. */
function validate(rt: ResourceType, obj: KubeObject): void {
  const causes: Cause[] = [];
  const name = obj.metadata.name ?? '';
  const nameRe = rt.resource === 'namespaces' ? DNS_LABEL : DNS_SUBDOMAIN;
  const max = rt.resource === 'namespaces' ? 63 : 253;
  if (!nameRe.test(name) || name.length > max) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${rt.resource === 'namespaces' ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.'`,
    });
  }
  if (rt.resource === 'pods') {
    const cs = (obj.spec ?? {})['containers'];
    if (!Array.isArray(cs) || cs.length === 0) causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  }
  if (WORKLOADS.has(rt.resource)) {
    const spec = obj.spec ?? {};
    const replicas = spec['replicas'];
    if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0)) {
      causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
    }
    const selector = spec['selector'];
    const template = spec['template'];
    const matchLabels = isPlainObject(selector) && isPlainObject(selector['matchLabels']) ? selector['matchLabels'] : undefined;
    if (!isPlainObject(selector) || (matchLabels === undefined && !Array.isArray(selector['matchExpressions']))) {
      causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    } else if (matchLabels !== undefined) {
      const tl =
        isPlainObject(template) && isPlainObject(template['metadata']) ? (template['metadata']['labels'] as Record<string, unknown> | undefined) : undefined;
      if (!Object.entries(matchLabels).every(([k, v]) => tl !== undefined && tl[k] === v)) {
        causes.push({
          field: 'spec.template.metadata.labels',
          message: `Invalid value: ${JSON.stringify(tl ?? {})}: \`selector\` does not match template \`labels\``,
        });
      }
    }
    const ps = isPlainObject(template) ? template['spec'] : undefined;
    const cs = isPlainObject(ps) ? ps['containers'] : undefined;
    if (!Array.isArray(cs) || cs.length === 0) causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  }
  causes.push(...(rt.hooks?.validate?.(obj) ?? []));
  if (causes.length > 0) throw statusError.invalid(rt, name, causes);
}

/** Fields the real strategies refuse to change on update (422). */
function checkImmutable(rt: ResourceType, current: KubeObject, next: KubeObject): void {
  const name = current.metadata.name!;
  const hookCauses = rt.hooks?.immutable?.(current, next) ?? [];
  if (hookCauses.length > 0) throw statusError.invalid(rt, name, hookCauses);
  if (WORKLOADS.has(rt.resource) && !deepEqual((current.spec ?? {})['selector'], (next.spec ?? {})['selector'])) {
    throw statusError.invalid(rt, name, [
      { field: 'spec.selector', message: `Invalid value: ${JSON.stringify((next.spec ?? {})['selector'])}: field is immutable` },
    ]);
  }
  if (rt.resource === 'pods') {
    // ValidatePodUpdate: only images, activeDeadlineSeconds, tolerations (and grace) may change.
    const mutable = (s: Record<string, unknown> | undefined) => {
      const c = structuredClone(s ?? {});
      delete c['activeDeadlineSeconds'];
      delete c['tolerations'];
      delete c['terminationGracePeriodSeconds'];
      for (const list of ['containers', 'initContainers']) {
        const cs = c[list];
        if (Array.isArray(cs)) for (const x of cs) if (isPlainObject(x)) delete x['image'];
      }
      return c;
    };
    if (!deepEqual(mutable(current.spec), mutable(next.spec))) {
      throw statusError.invalid(rt, name, [
        {
          field: 'spec',
          message:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          reason: 'FieldValueForbidden',
        },
      ]);
    }
  }
}

// Continue tokens: base64url (no padding) of {"v":"meta.k8s.io/v1","rv":N,"start":"key\0"},
// as storage.EncodeContinue writes them. Garbage answers 400, a compacted rv 410.
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  const bad = (why: string) => statusError.badRequest(`invalid continue token: continue key is not valid: ${why}`);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw bad('illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!isPlainObject(parsed) || parsed['v'] !== 'meta.k8s.io/v1') throw bad('server does not recognize this encoded version');
  if (typeof parsed['rv'] !== 'number' || parsed['rv'] <= 0) throw bad('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof parsed['start'] !== 'string' || parsed['start'] === '') throw bad('encoded start key empty (version meta.k8s.io/v1)');
  return { rv: parsed['rv'], start: parsed['start'] };
}
