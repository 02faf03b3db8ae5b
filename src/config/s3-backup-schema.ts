// backups.clusters[].s3: MinIO and other S3-compatible buckets copied object by object to Blob
// (src/backup/s3.ts). The endpoint comes from config only; the access key pair from a Kubernetes
// Secret of the cluster or from two Key Vault secrets, never from config text or a request.
import { z } from 'zod';
import { checkName } from '../domain/k8s-names.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and "-" (at most 63). Fix: e.g. minio-media' });
// S3 bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
export const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'is not an S3 bucket name (3-63 lower-case letters, digits, "." and "-"). Fix: e.g. media-uploads' });
const secretKeyName = z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, { message: 'is not a Secret data key. Fix: e.g. accesskey' });
const kvSecretName = z
  .string()
  .regex(/^[0-9a-zA-Z-]{1,127}$/, { message: 'is not a Key Vault secret name (letters, digits, "-"). Fix: e.g. minio-access-key' });

const credentialsSchema = z.union(
  [
    z.strictObject({
      /** A Secret in the cluster holding the key pair (read with `get secrets` in that namespace). */
      secret: z.strictObject({
        namespace: z.string().min(1),
        name: z.string().min(1),
        accessKeyIdKey: secretKeyName.default('accesskey'),
        secretAccessKeyKey: secretKeyName.default('secretkey'),
      }),
    }),
    z.strictObject({
      /** Two Key Vault secrets holding the key pair (the app identity needs Key Vault Secrets User). */
      keyVault: z.strictObject({
        vaultUri: z.url({ message: 'is not a URL. Fix: https://<vault>.vault.azure.net' }).optional(),
        accessKeyIdSecret: kvSecretName,
        secretAccessKeySecret: kvSecretName,
      }),
    }),
  ],
  {
    message:
      'must be {secret: {namespace, name}} (a Kubernetes Secret) or {keyVault: {accessKeyIdSecret, secretAccessKeySecret}}. Fix: see docs/backups.md "S3 buckets"',
  },
);

export const s3BackupSchema = z.strictObject({
  /** Name of the entry: blobs go under s3/{name}/, restores name it. */
  name: slug,
  /** S3 API endpoint as the function app reaches it (MinIO: its service URL; AWS: https://s3.<region>.amazonaws.com). */
  endpoint: z.url({ message: 'is not a URL. Fix: e.g. https://minio.ms5.example.com' }),
  region: z.string().min(1).default('us-east-1'),
  bucket: bucketName,
  /** Only keys under this prefix. */
  prefix: z.string().default(''),
  /** Path-style URLs (MinIO and most S3-compatible servers need them). */
  forcePathStyle: z.boolean().default(true),
  credentials: credentialsSchema,
  /** Keys per ListObjectsV2 page (max-keys; S3 returns at most 1,000). */
  listPageSize: z.number().int().min(1).max(1000).default(1000),
  /** Objects copied at the same time. */
  concurrency: z.number().int().min(1).max(64).default(8),
});

export type S3BackupConfig = z.output<typeof s3BackupSchema>;

/** Cross-checks of one cluster's s3 entries: unique names, valid Secret namespace and name. */
export function checkS3Entries(entries: S3BackupConfig[], at: (string | number)[]): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const seen = new Set<string>();
  entries.forEach((e, j) => {
    if (seen.has(e.name)) issues.push({ path: [...at, j, 'name'], message: `"${e.name}" is used twice. Fix: give each s3 entry its own name` });
    seen.add(e.name);
    if (!/^https?:\/\//.test(e.endpoint))
      issues.push({ path: [...at, j, 'endpoint'], message: 'must be an http(s) URL. Fix: e.g. https://minio.ms5.example.com' });
    if ('secret' in e.credentials) {
      const badNs = checkName('namespace', e.credentials.secret.namespace);
      if (badNs) issues.push({ path: [...at, j, 'credentials', 'secret', 'namespace'], message: `${badNs}. Fix: the namespace of the Secret` });
      const badName = checkName('name', e.credentials.secret.name);
      if (badName) issues.push({ path: [...at, j, 'credentials', 'secret', 'name'], message: `${badName}. Fix: the name of the Secret` });
    }
  });
  return issues;
}
