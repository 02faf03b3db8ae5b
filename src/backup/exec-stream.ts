// Streams between a command in a pod (the Kubernetes exec API, src/adapters/kube-exec.ts) and a
// blob, for every kind of data dumped by a tool inside the pod (pg_dump, redis-cli --rdb, tar of a
// Prometheus snapshot or a volume). Back-pressured both ways, SHA-256 computed while streaming:
//   execToBlob   the command's stdout goes into a write-once block blob whose block list is
//                committed only when the command exited 0 (a failed dump never becomes a blob);
//   blobToExec   the blob is streamed into the command's stdin and its checksum is compared with
//                the manifest's: a mismatch is an error even when the command succeeded.
// Memory stays at a few blocks whatever the size.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BackupEnv } from './env.js';
import { blockSizeFor, type StoredBlob } from '../adapters/blob-store.js';
import { execStream, type ExecOptions } from '../adapters/kube-exec.js';
import type { ResourceTypeRef } from './objects.js';
import type { ManifestItem } from './manifest.js';

const PODS: ResourceTypeRef = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
/**
 * Blocks in flight per stream: 4, fewer when blocks are large (a dump of terabytes). The memory of
 * all streams together is capped by the process's block buffer pool (adapters/block-buffers.ts).
 */
const STAGING_BUDGET = 64 * 1024 * 1024;
/** The command's output read ahead of the upload (the block being filled is the real buffer). */
const STDOUT_BUFFER = 256 * 1024;

export interface PodTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** The Running pod a selector picks (first by name), and the container to exec in. `what` names the config entry in errors. */
export async function findPod(
  env: BackupEnv,
  cluster: string,
  where: { namespace: string; podSelector: string; container?: string | undefined },
  what: string,
): Promise<PodTarget> {
  const { rest } = await env.kube(cluster);
  const pods: Array<{ name: string; containers: string[] }> = [];
  for await (const page of rest.listPages(PODS, where.namespace, { labelSelector: where.podSelector, limit: 100 })) {
    for (const p of page) {
      const phase = (p['status'] as { phase?: string } | undefined)?.phase;
      const deleting = (p.metadata ?? {})['deletionTimestamp'] !== undefined;
      if (phase !== 'Running' || deleting) continue;
      const cs = ((p['spec'] as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
      pods.push({ name: String(p.metadata?.['name']), containers: cs });
    }
  }
  pods.sort((a, b) => (a.name < b.name ? -1 : 1));
  const pod = pods[0];
  if (!pod) throw new Error(`no Running pod in ${where.namespace} matches ${where.podSelector} (${what}). Fix: check podSelector, or that the workload is up`);
  const container = where.container ?? pod.containers[0];
  if (!container || !pod.containers.includes(container)) {
    throw new Error(
      `pod ${where.namespace}/${pod.name} has no container "${where.container}" (it has ${pod.containers.join(', ')}). Fix: set container of ${what}`,
    );
  }
  return { namespace: where.namespace, pod: pod.name, container };
}

/** Runs a command and returns its stdout as text (small outputs: detection queries). */
export async function execText(
  env: BackupEnv,
  cluster: string,
  t: PodTarget,
  command: string[],
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { kubeConfig } = await env.kube(cluster);
  const handle = await execStream(kubeConfig, t.namespace, t.pod, t.container, command, execOptions);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of handle.stdout) {
    if (size < 1024 * 1024) chunks.push(c as Buffer);
    size += (c as Buffer).length;
  }
  const r = await handle.done;
  return { exitCode: r.exitCode, stdout: Buffer.concat(chunks).toString('utf8'), stderr: r.stderr };
}

export interface ExecToBlob {
  container: string;
  path: string;
  /** Blob metadata; a function is called at commit, after `observe` ended (counts known then). */
  metadata: Record<string, string> | (() => Record<string, string>);
  /** Sees every chunk on its way to the blob (awaited: back-pressure), ended once the tool succeeded. */
  observe?: { write(chunk: Buffer): Promise<void>; end(): Promise<void> };
  /** Expected size (bytes): picks the block size so 50,000 blocks cover it. */
  expectedBytes: number;
  /** The tool, in errors ("pg_dump of ms5"). */
  what: string;
}

/** Streams the command's stdout into a write-once blob; stderr of a successful run comes back as warnings. */
export async function execToBlob(
  env: BackupEnv,
  cluster: string,
  t: PodTarget,
  command: string[],
  to: ExecToBlob,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<{ stored: StoredBlob; warnings: string[] }> {
  const warnings: string[] = [];
  const { kubeConfig } = await env.kube(cluster);
  const sizes = blockSizeFor(to.expectedBytes);
  const handle = await execStream(kubeConfig, t.namespace, t.pod, t.container, command, { stdoutBuffer: STDOUT_BUFFER, ...execOptions });
  async function* output(): AsyncGenerator<Buffer> {
    for await (const chunk of handle.stdout) {
      if (to.observe) await to.observe.write(chunk as Buffer);
      yield chunk as Buffer;
    }
    // Commit only after the tool reported success.
    const r = await handle.done;
    if (r.exitCode !== 0)
      throw new Error(`${to.what} in ${t.namespace}/${t.pod} failed (exit ${r.exitCode}): ${(r.stderr.trim() || r.status.message || '').slice(-600)}`);
    await to.observe?.end();
    if (r.stderr.trim() !== '') warnings.push(`${to.what}: ${r.stderr.trim().slice(-300)}`);
  }
  try {
    const stored = await env.blobs.writeOnce(to.container, to.path, output(), {
      blockSize: sizes.at,
      concurrency: Math.max(1, Math.min(4, Math.floor(STAGING_BUDGET / sizes.base))),
      metadata: () => ({ ...(typeof to.metadata === 'function' ? to.metadata() : to.metadata), aksopspod: t.pod }),
      contentType: 'application/octet-stream',
    });
    return { stored, warnings };
  } catch (e) {
    handle.abort();
    throw e;
  }
}

/** An existing blob (written by an attempt whose result was lost), or null. */
export async function storedBlob(env: BackupEnv, container: string, path: string): Promise<StoredBlob | null> {
  return (await env.blobs.properties(container, path)) ? env.blobs.existing(container, path) : null;
}

/**
 * Streams a manifest item into a command's stdin (`command(size)`: the command must read exactly
 * `size` bytes, e.g. `head -c`, so it ends without a stdin half-close, which the v4 protocol lacks).
 */
export async function blobToExec(
  env: BackupEnv,
  cluster: string,
  t: PodTarget,
  item: ManifestItem,
  command: (size: number) => string[],
  what: string,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<{ bytes: number; sha256: string; stdout: string }> {
  const { kubeConfig } = await env.kube(cluster);
  const hash = createHash('sha256');
  let bytes = 0;
  const source = (await env.blobs.read(item.container, item.path)) as Readable;
  source.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  const handle = await execStream(kubeConfig, t.namespace, t.pod, t.container, command(item.size), { ...execOptions, stdin: source });
  const out: Buffer[] = [];
  handle.stdout.on('data', (c: Buffer) => out.length < 64 && out.push(c));
  const r = await handle.done;
  const sha = hash.digest('hex');
  if (r.exitCode !== 0)
    throw new Error(`${what} in ${t.namespace}/${t.pod} failed (exit ${r.exitCode}): ${(r.stderr.trim() || r.status.message || '').slice(-600)}`);
  if (bytes !== item.size || sha !== item.sha256) {
    throw new Error(
      `${item.container}/${item.path} does not match the manifest (${bytes} bytes, sha256 ${sha}; expected ${item.size}, ${item.sha256}): ${what} may be incomplete`,
    );
  }
  return { bytes, sha256: sha, stdout: Buffer.concat(out).toString('utf8') };
}
