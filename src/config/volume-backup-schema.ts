// `backups.clusters[].volumes`: PVCs copied file by file (tar through an ephemeral pod, see
// src/backup/volumes.ts) because no application-aware method covers them. Each entry picks PVCs of
// one namespace by name and/or label selector; PVCs mounted by a pod that a database, Redis or
// Prometheus entry of the same cluster names are left out (their app-aware copy is consistent,
// a file copy of a live database is not).
import { z } from 'zod';

const labelSelector = z
  .string()
  .refine((s) => /^\s*[A-Za-z0-9./_-]+\s*(=|==|!=)\s*[A-Za-z0-9._-]*\s*(,\s*[A-Za-z0-9./_-]+\s*(=|==|!=)\s*[A-Za-z0-9._-]*\s*)*$/.test(s), {
    message: 'is not an equality label selector. Fix: write it like app=media,tier=storage',
  });
const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|K|M|G|T)?$/, { message: 'is not a Kubernetes quantity. Fix: e.g. 100m, 256Mi, 1' });
const size = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, { message: 'is not a size. Fix: write it like 500Mi, 50Gi' });
const duration = z.string().regex(/^\d+(s|m|h)$/, { message: 'is not a duration. Fix: e.g. 5m, 6h' });

export const volumePodSchema = z.strictObject({
  /** A small image with sh, tar, find, wc and head (busybox or alpine), pulled by the node: mirror it in a private registry for private clusters. */
  image: z.string().min(1).default('busybox:1.36.1'),
  /** Non-root user the copy runs as: use the UID that owns the files (it must be able to read them, and restored files belong to it). */
  runAsUser: z.number().int().min(1).max(2147483647).default(65532),
  runAsGroup: z.number().int().min(1).max(2147483647).optional(),
  /** Restores only: the volume's group (the kubelet chowns a new volume to it). */
  fsGroup: z.number().int().min(1).max(2147483647).optional(),
  resources: z
    .strictObject({ requests: z.record(z.enum(['cpu', 'memory']), quantity), limits: z.record(z.enum(['cpu', 'memory']), quantity) })
    .default({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } }),
  /** How long the pod may take to be Running (image pull, attach). */
  startTimeout: duration.default('5m'),
  /** activeDeadlineSeconds of the pod: if the function dies mid-copy, Kubernetes stops the pod by then. */
  deadline: duration.default('6h'),
});

export const volumeSchema = z
  .strictObject({
    namespace: z.string().min(1),
    /** PVC names; with `selector`, both must match. */
    pvcs: z.array(z.string().min(1)).optional(),
    selector: labelSelector.optional(),
    /** PVC names left out. */
    exclude: z.array(z.string().min(1)).default([]),
    expectedSize: size.default('50Gi'),
    pod: volumePodSchema.default(volumePodSchema.parse({})),
  })
  .refine((v) => v.pvcs !== undefined || v.selector !== undefined, { message: 'names no PVC. Fix: set pvcs: [name, ...] or selector: app=media' });

export type VolumeBackupConfig = z.output<typeof volumeSchema>;
export type VolumePodConfig = z.output<typeof volumePodSchema>;
