// Restores S3 objects from a backup into the configured bucket, or another bucket of the same
// server (bucketMap: entry name -> bucket). Each object: HeadObject on the target key; an object
// that exists is a conflict (listed; `skip` leaves it, `update` overwrites it); dry-run stops
// there. PutObject streams the blob with its SHA-256 as x-amz-checksum-sha256, so a server that
// checks checksums refuses corrupted bytes; the bytes are also hashed on the way and an object whose
// hash differs from the manifest is deleted again (when the restore created it) and reported.
// Objects up to 5 GiB (the single PutObject limit); larger ones are reported, not restored.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { BackupEnv } from './env.js';
import { requestedItems } from './manifest-write.js';
import { s3Failure, s3Status } from '../adapters/s3.js';
import { s3ClientFor, s3Config } from './s3-credentials.js';
import type { ManifestItem } from './manifest.js';
import type { RestoreServiceInput, RestoreStepOutput } from '../domain/backup-types.js';

const MAX_PUT_BYTES = 5 * 1024 ** 3;

export async function restoreS3(env: BackupEnv, input: RestoreServiceInput): Promise<RestoreStepOutput> {
  const wanted = await requestedItems(env, input, 's3', (i) => i.name, 's3 entry');
  const out: Required<Pick<RestoreStepOutput, 'conflicts'>> & RestoreStepOutput = {
    created: 0,
    updated: 0,
    skipped: 0,
    failed: [],
    objects: [],
    conflicts: [],
  };
  const byName = new Map<string, ManifestItem[]>();
  for (const it of wanted) byName.set(it.name ?? '', [...(byName.get(it.name ?? '') ?? []), it]);
  const { HeadObjectCommand, PutObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  for (const [name, items] of byName) {
    const cfg = s3Config(env, input.cluster, name);
    const bucket = input.bucketMap?.[name] ?? cfg.bucket;
    const client = await s3ClientFor(env, input.cluster, cfg);
    for (const it of items) {
      const key = it.key ?? '';
      const id = `S3Object ${bucket}/${key}`;
      try {
        let exists = true;
        try {
          await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        } catch (e) {
          if (s3Status(e) !== 404 || (e as { name?: string }).name === 'NoSuchBucket') throw s3Failure(e, `HeadObject ${bucket}/${key}`);
          exists = false;
        }
        if (exists) {
          out.conflicts.push(id);
          if (input.conflict === 'skip') {
            out.skipped += 1;
            continue;
          }
        }
        if (it.size > MAX_PUT_BYTES)
          throw new Error(`${it.size} bytes is over the 5 GiB a single PutObject takes; copy this object by hand from ${it.container}/${it.path}`);
        if (!input.dryRun) {
          const hash = createHash('sha256');
          const body = ((await env.blobs.read(it.container, it.path)) as Readable).pipe(
            new Transform({ transform: (c: Buffer, _e, cb) => (hash.update(c), cb(null, c)) }),
          );
          try {
            await client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: body,
                ContentLength: it.size,
                ChecksumSHA256: Buffer.from(it.sha256, 'hex').toString('base64'),
              }),
            );
          } catch (e) {
            throw s3Failure(e, `PutObject ${bucket}/${key}`);
          }
          if (hash.digest('hex') !== it.sha256) {
            if (!exists) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
            throw new Error(
              `the backed-up bytes of ${it.container}/${it.path} do not match the manifest's SHA-256; ${exists ? 'the object was overwritten with them' : 'the object was removed again'}. Fix: restore from another backup (aksops backup verify finds the damaged ones)`,
            );
          }
        }
        if (exists) out.updated += 1;
        else out.created += 1;
        out.objects.push(id);
      } catch (e) {
        out.failed.push({ object: id, error: (e as Error).message.split('\n')[0]!.slice(0, 400) });
      }
    }
  }
  return out;
}
