// One backup part made of one stream out of a pod (pg_dump, redis-cli --rdb, a TSDB snapshot tar):
// resumable like every part (a finished part's record is returned; a blob committed by an attempt
// whose result was lost is kept, not dumped again), then the item and the part record.
import type { BackupEnv } from './env.js';
import type { ExecOptions } from '../adapters/kube-exec.js';
import { PART_FORMAT, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import { execToBlob, findPod, storedBlob, type ExecToBlob, type PodTarget } from './exec-stream.js';
import type { PartSummary } from '../domain/backup-types.js';

export interface ExecPart extends ExecToBlob {
  part: string;
  type: ManifestItem['type'];
  /** Where the pod is (config entry), and the command to run in it. */
  where: { namespace: string; podSelector: string; container?: string | undefined };
  command: string[];
  /** Item fields of the kind (database, name, format ...), computed once the stream is stored. */
  fields: (pod: PodTarget) => Promise<Partial<ManifestItem>>;
  /** stderr lines of a successful run that are progress, not warnings. */
  quiet?: RegExp;
}

export async function backupExecPart(
  env: BackupEnv,
  input: { backupId: string; cluster: string },
  p: ExecPart,
  execOptions: Pick<ExecOptions, 'protocols'> = {},
): Promise<PartSummary> {
  const existing = await readPartRecord(env, input.cluster, input.backupId, p.part);
  if (existing) return summarize(existing, true);
  const warnings: string[] = [];
  let stored = await storedBlob(env, p.container, p.path);
  const pod = await findPod(env, input.cluster, p.where, p.what);
  if (!stored) {
    const r = await execToBlob(env, input.cluster, pod, p.command, p, execOptions);
    stored = r.stored;
    warnings.push(...r.warnings.filter((w) => !p.quiet?.test(w)));
  }
  const item: ManifestItem = {
    part: p.part,
    type: p.type,
    container: p.container,
    path: p.path,
    size: stored.size,
    sha256: stored.sha256,
    ...(await p.fields(pod)),
  };
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part: p.part, items: [item], warnings });
  return summarize(record, false);
}
