// The three patch formats kube-apiserver accepts for built-in types
// (apiserver/pkg/endpoints/handlers/patch.go, applyPatchToObject):
// - application/json-patch+json: RFC 6902. The body must be an array of operations;
//   anything else fails to decode into jsonpatch.Patch and answers 400.
// - application/merge-patch+json: RFC 7386.
// - application/strategic-merge-patch+json: merge by the Go struct tags patchStrategy /
//   patchMergeKey (k8s.io/api/core/v1/types.go). The fake knows the merge keys of the lists
//   found in pods and workload templates, and the $patch / $retainKeys /
//   $deleteFromPrimitiveList / $setElementOrder directives.
import { statusError } from './kube-status.js';
import { text } from '../../src/domain/text.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------- RFC 6902 JSON Patch

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parent(doc: Json, tokens: string[], path: string): { container: Json; key: string } {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)] as Json;
    else if (isPlainObject(cur)) cur = cur[t] as Json;
    else cur = undefined as unknown as Json;
    if (cur === undefined) throw new Error(`doc is missing path: "${path}": missing value`);
  }
  return { container: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const t of parsePointer(path)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(t)] : isPlainObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw new Error(`doc is missing path: "${path}": missing value`);
    cur = next;
  }
  return cur;
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean, path: string): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new Error(`invalid array index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new Error(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { container, key } = parent(doc, tokens, path);
  if (Array.isArray(container)) container.splice(arrayIndex(container, key, true, path), 0, value);
  else if (isPlainObject(container)) container[key] = value;
  else throw new Error(`doc is missing path: "${path}": missing value`);
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  const { container, key } = parent(doc, tokens, path);
  if (Array.isArray(container)) container.splice(arrayIndex(container, key, false, path), 1);
  else if (isPlainObject(container) && Object.prototype.hasOwnProperty.call(container, key)) delete container[key];
  else throw new Error(`Unable to remove nonexistent key: ${key}: missing value`);
  return doc;
}

/** Applies an RFC 6902 patch; a body that is not an array answers 400 like jsonpatch.DecodePatch. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    const got = patch === null ? 'null' : isPlainObject(patch) ? 'object' : typeof patch;
    throw statusError.badRequest(`json: cannot unmarshal ${got} into Go value of type jsonpatch.Patch`);
  }
  let doc = clone(target) as Json;
  try {
    for (const op of patch) {
      if (!isPlainObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') {
        throw new Error(`invalid operation ${JSON.stringify(op)}: "op" and "path" are required`);
      }
      const path = op['path'];
      switch (op['op']) {
        case 'add':
          if (!('value' in op)) throw new Error('missing value for add operation');
          doc = addAt(doc, path, clone(op['value']!));
          break;
        case 'remove':
          doc = removeAt(doc, path);
          break;
        case 'replace':
          if (!('value' in op)) throw new Error('missing value for replace operation');
          getAt(doc, path);
          doc = path === '' ? clone(op['value']!) : addAt(removeAt(doc, path), path, clone(op['value']!));
          break;
        case 'move': {
          const from = text(op['from']);
          const v = getAt(doc, from);
          doc = addAt(removeAt(doc, from), path, v);
          break;
        }
        case 'copy':
          doc = addAt(doc, path, clone(getAt(doc, text(op['from']))));
          break;
        case 'test':
          if (!deepEqual(getAt(doc, path), op['value'])) throw new Error(`testing value ${path} failed: test failed`);
          break;
        default:
          throw new Error(`Unexpected kind: ${op['op']}`);
      }
    }
  } catch (e) {
    // patch.go answers an apply failure with a 422 generic server response.
    if (e instanceof Error && !('status' in e)) throw statusError.unprocessable(e.message);
    throw e;
  }
  return doc;
}

// ---------------------------------------------------------------- RFC 7386 Merge Patch

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: JsonObject = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v) as Json;
  }
  return out;
}

// ---------------------------------------------------------------- Strategic Merge Patch

/**
 * patchMergeKey of the lists in core/v1 and apps/v1 that use patchStrategy "merge",
 * keyed by field name (the fake does not track the full schema path).
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  taints: 'key',
};
/** Primitive lists with patchStrategy "merge": union of values. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeList(field: string, original: Json[] | undefined, patch: Json[]): Json[] | undefined {
  const key = MERGE_KEYS[field];
  if (patch.some((e) => isPlainObject(e) && e['$patch'] === 'replace')) {
    return patch.filter((e) => !(isPlainObject(e) && e['$patch'] === 'replace')).map(stripDirectives);
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...(original ?? [])];
    for (const v of patch) if (!out.some((o) => deepEqual(o, v))) out.push(v);
    return out;
  }
  if (!key) return patch.map(stripDirectives);
  const out = (original ?? []).map((e) => clone(e));
  for (const p of patch) {
    if (!isPlainObject(p) || !(key in p)) {
      throw statusError.badRequest(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    }
    const idx = out.findIndex((o) => isPlainObject(o) && deepEqual(o[key], p[key]));
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = strategicMerge(out[idx], p) as Json;
    } else {
      out.push(stripDirectives(p));
    }
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function strategicMerge(original: unknown, patch: JsonObject): unknown {
  if (patch['$patch'] === 'delete') return undefined;
  if (patch['$patch'] === 'replace') return stripDirectives(patch);
  const out: JsonObject = isPlainObject(original) ? clone(original) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/')) continue;
    if (k === '$retainKeys') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (isPlainObject(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged as Json;
    } else if (Array.isArray(v)) {
      const merged = mergeList(k, Array.isArray(out[k]) ? out[k] : undefined, v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

/** Applies a strategic merge patch; the body must be a JSON object. */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) {
    throw statusError.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  }
  return strategicMerge(target, patch);
}
