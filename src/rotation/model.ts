// Pure rules of secret rotation: the stage tags kept on Key Vault versions, enrolment (config
// plus Key Vault tags), instance IDs, targets and consumers, random values, sweep selection,
// Key Vault Event Grid events and scrubbing of values from text. No I/O. See docs/rotation.md.
import { createHash, randomInt } from 'node:crypto';
import { parseDuration } from '../domain/duration.js';
import { redactSecrets, REDACTED } from '../domain/redact.js';
import {
  CONSUMER_PATTERN,
  TARGET_PATTERN,
  fieldsOf,
  type RotationConfig,
  type RotationSecretConfig,
  type RotationStrategyName,
  ROTATION_STRATEGIES,
  RANDOM_ALPHABETS,
} from '../config/rotation-schema.js';

// ---------------------------------------------------------------- stage tags

/** Tags this app writes on the versions it creates; a human reads the rotation's state from them. */
export const TAG = {
  /** pending | current | previous | failed | retired */
  stage: 'aksops-stage',
  /** Orchestration instance that wrote the version. */
  rotation: 'aksops-rotation',
  /** Which provider-side credential the value is: a PostgreSQL role, key1/key2, a Redis password fingerprint. */
  credential: 'aksops-credential',
  /** The version this one replaces (create) or restores (rollback). */
  replaces: 'aksops-replaces',
  /** create | rollback: which step wrote it (the idempotency key together with aksops-rotation). */
  op: 'aksops-op',
} as const;

/** Tags a human (or IaC) sets on a secret to enrol it; copied to every new version. */
export const ENROL_TAG = {
  /** A strategy name enrols the secret (tag-only enrolment supports `random`); `disabled` opts out. */
  rotate: 'aksops-rotate',
  validityDays: 'aksops-validity-days',
  /** Comma-separated namespace/secret/key[=field]. */
  targets: 'aksops-targets',
  /** Comma-separated namespace/Kind/name. */
  consumers: 'aksops-consumers',
  cluster: 'aksops-cluster',
} as const;

export type Stage = 'pending' | 'current' | 'previous' | 'failed' | 'retired';

const ROTATION_TAGS: string[] = Object.values(TAG);

/** The tags of a new version: the source version's own tags (minus stage bookkeeping) plus `set`. */
export function nextTags(source: Record<string, string>, set: Partial<Record<keyof typeof TAG, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (!ROTATION_TAGS.includes(k)) out[k] = v;
  for (const [k, v] of Object.entries(set)) if (v !== undefined) out[TAG[k as keyof typeof TAG]] = v;
  if (Object.keys(out).length > 15) {
    throw new Error(`the new version would carry ${Object.keys(out).length} tags; Key Vault allows 15. Fix: remove some of the secret's own tags`);
  }
  return out;
}

/** The same tags with the stage changed. */
export function withStage(tags: Record<string, string>, stage: Stage): Record<string, string> {
  return { ...tags, [TAG.stage]: stage };
}

// ---------------------------------------------------------------- enrolment

export interface Target {
  namespace: string;
  secret: string;
  key: string;
  /** Which field of the credential: value (random), password/username, key/keyName. */
  field: string;
}

export interface Consumer {
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
}

export interface EnrolledSecret {
  name: string;
  strategy: RotationStrategyName;
  cluster: string;
  validityDays: number;
  random: { length: number; alphabet: (typeof RANDOM_ALPHABETS)[number] };
  targets: Target[];
  consumers: Consumer[];
  csi?: { namespace: string; secretProviderClass: string; objectName: string };
  approvalRequired: boolean;
  dryRun: boolean;
  postgres?: NonNullable<RotationSecretConfig['postgres']>;
  redis?: NonNullable<RotationSecretConfig['redis']>;
  storage?: NonNullable<RotationSecretConfig['storage']>;
  /** Where the enrolment came from. */
  source: 'config' | 'tags' | 'config+tags';
}

export interface RotationPolicy {
  windowSeconds: number;
  maxConcurrent: number;
  rolloutTimeoutSeconds: number;
  pollSeconds: number;
  approvalTimeoutSeconds: number;
}

export function rotationPolicy(rot: RotationConfig | undefined): RotationPolicy {
  const d = (s: string | undefined, fallback: number) => (s === undefined ? fallback : (parseDuration(s) ?? fallback));
  return {
    windowSeconds: d(rot?.window, 30 * 86400),
    maxConcurrent: rot?.maxConcurrent ?? 2,
    rolloutTimeoutSeconds: d(rot?.rolloutTimeout, 900),
    pollSeconds: d(rot?.pollInterval, 15),
    approvalTimeoutSeconds: d(rot?.approval.timeout, 4 * 3600),
  };
}

export function parseTarget(text: string, strategy: RotationStrategyName): Target {
  const m = TARGET_PATTERN.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not namespace/secret/key[=field]`);
  return { namespace: m[1]!, secret: m[2]!, key: m[3]!, field: m[4] ?? fieldsOf(strategy)[0]! };
}

export function parseConsumer(text: string): Consumer {
  const m = CONSUMER_PATTERN.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not namespace/Kind/name`);
  return { namespace: m[1]!, kind: m[2] as Consumer['kind'], name: m[3]! };
}

export function consumerKey(c: Consumer): string {
  return `${c.namespace}/${c.kind}/${c.name}`;
}

export function targetKey(t: Target): string {
  return `${t.namespace}/${t.secret}/${t.key}`;
}

/**
 * The enrolment of a secret: its config entry, overridden by the latest version's tags where they
 * speak (validity, opt-out), or built from tags alone for `aksops-rotate=random`. null = not enrolled.
 */
export function enrolment(rot: RotationConfig | undefined, name: string, tags: Record<string, string> | undefined, forceDryRun = false): EnrolledSecret | null {
  const t = tags ?? {};
  if (t[ENROL_TAG.rotate] === 'disabled') return null;
  const entry = rot?.secrets.find((s) => s.name.toLowerCase() === name.toLowerCase());
  const validityTag = t[ENROL_TAG.validityDays] !== undefined ? Number(t[ENROL_TAG.validityDays]) : undefined;
  const validity = validityTag !== undefined && Number.isInteger(validityTag) && validityTag > 0 && validityTag <= 3650 ? validityTag : undefined;
  const approvalDefault = rot?.approval.required ?? false;
  if (entry) {
    const e: EnrolledSecret = {
      name: entry.name,
      strategy: entry.strategy,
      cluster: entry.cluster,
      validityDays: validity ?? entry.validityDays,
      random: { length: entry.random?.length ?? 48, alphabet: entry.random?.alphabet ?? 'base64url' },
      targets: entry.targets.map((x) => parseTarget(x, entry.strategy)),
      consumers: entry.consumers.map(parseConsumer),
      approvalRequired: entry.approval ?? approvalDefault,
      dryRun: forceDryRun || (entry.dryRun ?? false),
      source: validity !== undefined ? 'config+tags' : 'config',
    };
    if (entry.csi)
      e.csi = { namespace: entry.csi.namespace, secretProviderClass: entry.csi.secretProviderClass, objectName: entry.csi.objectName ?? entry.name };
    if (entry.postgres) e.postgres = entry.postgres;
    if (entry.redis) e.redis = entry.redis;
    if (entry.storage) e.storage = entry.storage;
    return e;
  }
  // Tag-only enrolment: application secrets with a random value, nothing provider-side.
  if (t[ENROL_TAG.rotate] !== 'random') return null;
  const cluster = t[ENROL_TAG.cluster] ?? rot?.defaultCluster;
  if (!cluster) return null;
  try {
    const targets = (t[ENROL_TAG.targets] ?? '')
      .split(',')
      .filter((x) => x.trim() !== '')
      .map((x) => parseTarget(x, 'random'));
    const consumers = (t[ENROL_TAG.consumers] ?? '')
      .split(',')
      .filter((x) => x.trim() !== '')
      .map(parseConsumer);
    if (targets.length === 0) return null;
    return {
      name,
      strategy: 'random',
      cluster,
      validityDays: validity ?? 90,
      random: { length: 48, alphabet: 'base64url' },
      targets,
      consumers,
      approvalRequired: approvalDefault,
      dryRun: forceDryRun,
      source: 'tags',
    };
  } catch {
    return null;
  }
}

export function isStrategy(s: string): s is RotationStrategyName {
  return (ROTATION_STRATEGIES as readonly string[]).includes(s);
}

// ---------------------------------------------------------------- identities

/** Durable instance IDs allow up to 100 characters here (kept well inside every backend's limit). */
const MAX_INSTANCE_ID = 100;

/** One rotation per (secret, current version): duplicates of an event map to the same instance. */
export function rotationInstanceId(secretName: string, version: string): string {
  const id = `rotation-${secretName.toLowerCase()}-${version}`;
  if (id.length <= MAX_INSTANCE_ID) return id;
  return `rotation-${createHash('sha256').update(`${secretName.toLowerCase()}\u0000${version}`).digest('hex').slice(0, 48)}`;
}

// ---------------------------------------------------------------- values

const ALPHABETS: Record<(typeof RANDOM_ALPHABETS)[number], string> = {
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  // Printable ASCII without space, quotes and backslash: safe in env files, URLs need encoding anyway.
  'ascii-printable': '!#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~',
};

/** A cryptographically random string (crypto.randomInt per character: no modulo bias). */
export function randomValue(policy: { length: number; alphabet: (typeof RANDOM_ALPHABETS)[number] }): string {
  const a = ALPHABETS[policy.alphabet];
  let out = '';
  for (let i = 0; i < policy.length; i++) out += a[randomInt(a.length)];
  return out;
}

/** The value stored in Key Vault for a user/password credential (contentType application/json). */
export interface UserPassword {
  username: string;
  password: string;
}

export function encodeUserPassword(c: UserPassword): string {
  return JSON.stringify({ username: c.username, password: c.password });
}

export function decodeUserPassword(value: string, secretName: string): UserPassword {
  try {
    const v = JSON.parse(value) as Partial<UserPassword>;
    if (typeof v.username === 'string' && typeof v.password === 'string') return { username: v.username, password: v.password };
  } catch {
    /* fall through */
  }
  throw new Error(`secret ${secretName}: the value is not {"username","password"} JSON. Fix: store the current credential in that form before enrolling it`);
}

/** A field of the credential a target asked for. */
export function fieldOf(strategy: RotationStrategyName, value: string, field: string, credential: string, secretName: string): string {
  switch (strategy) {
    case 'random':
      return value;
    case 'storage-account-key':
      return field === 'keyName' ? credential : value;
    default: {
      const c = decodeUserPassword(value, secretName);
      return field === 'username' ? c.username : c.password;
    }
  }
}

/** A short, non-reversible label of a password (for the credential tag of redis-acl). */
export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12)}`;
}

/** Text with every known value replaced, then the generic redaction: for errors and details leaving an activity. */
export function scrub(text: string, values: Array<string | undefined>): string {
  let out = text;
  for (const v of expandValues(values)) {
    out = out.split(v).join(REDACTED);
    // Values also travel base64-encoded (Kubernetes Secret data) and URL-encoded.
    const b64 = Buffer.from(v, 'utf8').toString('base64');
    out = out.split(b64).join(REDACTED);
    const enc = encodeURIComponent(v);
    if (enc !== v) out = out.split(enc).join(REDACTED);
  }
  return redactSecrets(out);
}

/**
 * The values to look for: each value, and for a JSON credential ({"username", "password"}) each
 * of its string fields, because providers echo a field alone (Redis repeats the password of a
 * failed `ACL SETUSER <user> <password`, #12). Longest first, so a field inside a value is not
 * redacted before the whole value is.
 */
function expandValues(values: Array<string | undefined>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v === undefined) continue;
    out.add(v);
    try {
      const j = JSON.parse(v) as unknown;
      if (j && typeof j === 'object') for (const f of Object.values(j)) if (typeof f === 'string') out.add(f);
    } catch {
      /* not JSON */
    }
  }
  // Short strings (user names like "app") would redact ordinary words: fields need 8 characters.
  return [...out].filter((x) => x.length >= 8 || (values.includes(x) && x.length >= 4)).sort((a, b) => b.length - a.length);
}

/** `value` with every string in it (deeply) scrubbed of `values`: activity outputs, warnings included. */
export function scrubDeep<T>(value: T, values: Array<string | undefined>): T {
  if (typeof value === 'string') return scrub(value, values) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, values)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, values)])) as T;
  return value;
}

// ---------------------------------------------------------------- sweep

export interface SecretState {
  name: string;
  version: string;
  tags: Record<string, string>;
  expiresOn?: string;
  createdOn?: string;
}

export type SweepReason = 'no-expiry' | 'expiring' | 'expired' | 'too-old';

export interface SweepDecision {
  name: string;
  due: boolean;
  reason: SweepReason | 'in-progress' | 'ok';
  detail: string;
}

/** When a version expiring at `expiresMs` becomes due: the start of the rotation window before it. */
export function dueAt(expiresMs: number, windowSeconds: number): number {
  return expiresMs - windowSeconds * 1000;
}

/** Is this secret due? In-flight rotations (latest version pending) are never due again. */
export function sweepDecision(s: SecretState, validityDays: number, now: Date, windowSeconds: number): SweepDecision {
  const stage = s.tags[TAG.stage];
  if (stage === 'pending')
    return { name: s.name, due: false, reason: 'in-progress', detail: `version ${s.version} is pending (rotation ${s.tags[TAG.rotation] ?? '?'})` };
  const t = now.getTime();
  if (s.expiresOn === undefined) return { name: s.name, due: true, reason: 'no-expiry', detail: 'the current version has no expiry date' };
  const exp = Date.parse(s.expiresOn);
  if (exp <= t) return { name: s.name, due: true, reason: 'expired', detail: `expired at ${s.expiresOn}` };
  if (t >= dueAt(exp, windowSeconds)) return { name: s.name, due: true, reason: 'expiring', detail: `expires at ${s.expiresOn}, inside the rotation window` };
  if (s.createdOn !== undefined && Date.parse(s.createdOn) + validityDays * 86400_000 <= t) {
    return { name: s.name, due: true, reason: 'too-old', detail: `created ${s.createdOn}, older than its validity of ${validityDays} days` };
  }
  return { name: s.name, due: false, reason: 'ok', detail: `expires at ${s.expiresOn}` };
}
