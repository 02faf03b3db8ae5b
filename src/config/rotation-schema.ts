// The `rotation` section of the operations config: which Key Vault secrets this app rotates, how,
// where their values go in Kubernetes and which workloads consume them. Used by schema.ts; the
// compiled form (defaults applied, durations in seconds, tags merged) is src/rotation/enrolment.ts.
// Errors name the path and the fix, like the rest of the config. See docs/rotation.md.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { checkName } from '../domain/k8s-names.js';
import { isAlwaysProtectedNamespace } from '../domain/protection.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 30s, 15m, 4h, 30d',
});

/** Key Vault secret names: 1-127 letters, digits and dashes. */
export const KEY_VAULT_SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export const ROTATION_STRATEGIES = ['random', 'postgres-alternating-users', 'redis-acl', 'storage-account-key'] as const;
export type RotationStrategyName = (typeof ROTATION_STRATEGIES)[number];

export const RANDOM_ALPHABETS = ['base64url', 'alphanumeric', 'hex', 'ascii-printable'] as const;

/** namespace/secret/key, optionally =field (which field of the credential goes there). */
export const TARGET_PATTERN = /^([^/=]+)\/([^/=]+)\/([-._a-zA-Z0-9]+)(?:=([a-zA-Z]+))?$/;
/**
 * namespace/Kind/name. DaemonSets are not accepted yet: the app's Kubernetes role
 * (bicep/modules/role-definitions.bicep kubernetesOperator) grants no daemonsets write.
 */
export const CONSUMER_PATTERN = /^([^/]+)\/(Deployment|StatefulSet)\/([^/]+)$/;

const postgresSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1).default('postgres'),
  /** Two login roles that take turns. */
  roles: z.tuple([z.string().min(1).max(63), z.string().min(1).max(63)], {
    message: 'must name exactly two login roles. Fix: e.g. roles: [orders_a, orders_b]',
  }),
  adminUser: z.string().min(1),
  /** Key Vault secret holding the admin password (never the password itself). */
  adminSecret: z
    .string()
    .regex(KEY_VAULT_SECRET_NAME, { message: 'is not a Key Vault secret name. Fix: the name of the secret that holds the admin password' }),
  sslmode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
});

const redisSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(6379),
  /** The ACL user whose passwords rotate. */
  user: z.string().min(1),
  adminUser: z.string().min(1).default('default'),
  adminSecret: z
    .string()
    .regex(KEY_VAULT_SECRET_NAME, { message: 'is not a Key Vault secret name. Fix: the name of the secret that holds the admin password' }),
  tls: z.boolean().default(true),
});

const storageSchema = z.strictObject({
  subscriptionId: z.uuid({ message: 'is not a subscription ID (a GUID). Fix: copy it from `az account show --query id`' }),
  resourceGroup: z.string().min(1).max(90),
  accountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: 'is not a storage account name (3-24 lower-case letters and digits)' }),
});

export const rotationSecretSchema = z.strictObject({
  /** The Key Vault secret. */
  name: z.string().regex(KEY_VAULT_SECRET_NAME, {
    message: 'is not a Key Vault secret name (1-127 letters, digits and "-"). Fix: use the name shown by az keyvault secret list',
  }),
  strategy: z.enum(ROTATION_STRATEGIES),
  cluster: z.string().min(1),
  validityDays: z.number().int().min(1).max(3650).default(90),
  random: z
    .strictObject({
      length: z.number().int().min(16).max(4096).default(48),
      alphabet: z.enum(RANDOM_ALPHABETS).default('base64url'),
    })
    .optional(),
  targets: z
    .array(
      z.string().regex(TARGET_PATTERN, { message: 'is not namespace/secret/key[=field]. Fix: e.g. shop/api-secrets/JWT_KEY, or shop/db/PGPASSWORD=password' }),
    )
    .default([]),
  consumers: z
    .array(z.string().regex(CONSUMER_PATTERN, { message: 'is not namespace/Kind/name with Kind Deployment or StatefulSet. Fix: e.g. shop/Deployment/api' }))
    .default([]),
  /** Consumers mount the secret with the Secrets Store CSI driver: wait for their SecretProviderClassPodStatus instead of writing targets. */
  csi: z.strictObject({ namespace: z.string().min(1), secretProviderClass: z.string().min(1), objectName: z.string().optional() }).optional(),
  approval: z.boolean().optional(),
  postgres: postgresSchema.optional(),
  redis: redisSchema.optional(),
  storage: storageSchema.optional(),
  dryRun: z.boolean().optional(),
});

export const rotationSchema = z.strictObject({
  /** Rotate when the current version expires within this window (and when it has no expiry, or is older than validityDays). */
  window: duration.default('30d'),
  maxConcurrent: z.number().int().min(1).max(50).default(2),
  rolloutTimeout: duration.default('15m'),
  pollInterval: duration.default('15s'),
  approval: z.strictObject({ required: z.boolean().default(false), timeout: duration.default('4h') }).default({ required: false, timeout: '4h' }),
  /** Tag-enrolled secrets (aksops-rotate=random) run in this cluster unless their tag says otherwise. */
  defaultCluster: z.string().min(1).optional(),
  secrets: z.array(rotationSecretSchema).default([]),
});

export type RotationConfig = z.output<typeof rotationSchema>;
export type RotationSecretConfig = z.output<typeof rotationSecretSchema>;

type Issue = { path: (string | number)[]; message: string };

/** Cross-checks of the rotation section against itself and the clusters; returns issues (path relative to the config root). */
export function checkRotation(rot: RotationConfig, clusters: Set<string>): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  const at = (i: number, ...p: (string | number)[]) => ['rotation', 'secrets', i, ...p];
  if (rot.defaultCluster !== undefined && !clusters.has(rot.defaultCluster)) {
    issues.push({
      path: ['rotation', 'defaultCluster'],
      message: `"${rot.defaultCluster}" is not a configured cluster. Fix: use one of ${[...clusters].join(', ')}`,
    });
  }
  rot.secrets.forEach((s, i) => {
    if (typeof s.name !== 'string' || !Array.isArray(s.targets) || !Array.isArray(s.consumers)) return;
    if (seen.has(s.name.toLowerCase()))
      issues.push({ path: at(i, 'name'), message: `"${s.name}" is enrolled twice (Key Vault names are case-insensitive). Fix: keep one entry per secret` });
    seen.add(s.name.toLowerCase());
    if (!clusters.has(s.cluster))
      issues.push({ path: at(i, 'cluster'), message: `"${s.cluster}" is not a configured cluster. Fix: use one of ${[...clusters].join(', ')}` });
    const need: Record<RotationStrategyName, 'postgres' | 'redis' | 'storage' | null> = {
      random: null,
      'postgres-alternating-users': 'postgres',
      'redis-acl': 'redis',
      'storage-account-key': 'storage',
    };
    const block = need[s.strategy];
    if (block && s[block] === undefined)
      issues.push({ path: at(i, block), message: `is missing: strategy ${s.strategy} needs it. Fix: add ${block}: {...} (docs/rotation.md)` });
    for (const other of ['postgres', 'redis', 'storage'] as const) {
      if (other !== block && s[other] !== undefined) issues.push({ path: at(i, other), message: `does not apply to strategy ${s.strategy}. Fix: remove it` });
    }
    if (s.random !== undefined && s.strategy !== 'random' && s.strategy !== 'postgres-alternating-users' && s.strategy !== 'redis-acl') {
      issues.push({ path: at(i, 'random'), message: `does not apply to strategy ${s.strategy} (ARM generates storage keys). Fix: remove it` });
    }
    if (s.postgres && s.postgres.roles[0] === s.postgres.roles[1])
      issues.push({ path: at(i, 'postgres', 'roles'), message: 'names the same role twice. Fix: two different login roles take turns' });
    if (s.targets.length === 0 && !s.csi)
      issues.push({
        path: at(i, 'targets'),
        message:
          'is empty and no csi is given, so the new value would reach no workload. Fix: list namespace/secret/key targets, or csi {namespace, secretProviderClass}',
      });
    // (Entries that failed their own pattern are reported by the schema already.)
    s.targets.forEach((t, j) => {
      const m = TARGET_PATTERN.exec(t);
      if (!m) return;
      const bad = checkName('namespace', m[1]!) ?? checkName('name', m[2]!);
      if (bad) issues.push({ path: at(i, 'targets', j), message: `${bad}. Fix: namespace/secret/key with Kubernetes names` });
      const field = m[4];
      if (field !== undefined && !fieldsOf(s.strategy).includes(field)) {
        issues.push({
          path: at(i, 'targets', j),
          message: `field "${field}" does not exist for strategy ${s.strategy}. Fix: use one of ${fieldsOf(s.strategy).join(', ')}`,
        });
      }
      if (field === undefined && (s.strategy === 'postgres-alternating-users' || s.strategy === 'redis-acl') && !/pass/i.test(m[3]!)) {
        // Not an error: the default field is the password; say so only when the key suggests otherwise.
        if (/user/i.test(m[3]!))
          issues.push({ path: at(i, 'targets', j), message: `key ${m[3]} looks like a user name but receives the password. Fix: write ${t}=username` });
      }
    });
    s.consumers.forEach((c, j) => {
      const m = CONSUMER_PATTERN.exec(c);
      if (!m) return;
      const bad = checkName('namespace', m[1]!) ?? checkName('name', m[3]!);
      if (bad) issues.push({ path: at(i, 'consumers', j), message: `${bad}. Fix: namespace/Kind/name with Kubernetes names` });
      if (isAlwaysProtectedNamespace(m[1]!)) issues.push({ path: at(i, 'consumers', j), message: `is in ${m[1]!}, which is always protected. Fix: remove it` });
    });
  });
  return issues;
}

/** The fields of a credential a target may pick with =field; the first is the default. */
export function fieldsOf(strategy: RotationStrategyName): string[] {
  switch (strategy) {
    case 'random':
      return ['value'];
    case 'postgres-alternating-users':
    case 'redis-acl':
      return ['password', 'username'];
    case 'storage-account-key':
      return ['key', 'keyName'];
  }
}
