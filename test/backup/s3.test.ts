// MinIO / S3-compatible buckets (#16 item 2) against a real S3 implementation (s3rver) behind the
// strict front of test/fakes/s3-server.ts (SigV4 checked, AccessDenied, SlowDown), through the
// official client (@aws-sdk/client-s3), into Azurite. Credentials come from a Kubernetes Secret in
// the fake API server and never appear in anything the backup or restore produces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Fake, type S3Fake } from '../fakes/s3-server.js';
import { CLUSTER, createWorld, type World } from './world.js';
import { planBackup, readPartRecord } from '../../src/backup/engine.js';
import { backupS3, objectBlockBytes } from '../../src/backup/s3.js';
import { BLOCK_BUFFER_CAP, processBlockBuffers } from '../../src/adapters/block-buffers.js';
import { restoreS3 } from '../../src/backup/s3-restore.js';
import { readManifest, writeManifest } from '../../src/backup/manifest-write.js';
import { verifyBackup } from '../../src/backup/catalog.js';
import { runRestore } from '../../src/backup/restore-runner.js';
import { partIds } from '../../src/backup/manifest.js';
import { backupsSchema, checkBackups } from '../../src/config/backup-schema.js';
import { restoreRequest } from '../../src/backup/triggers.js';

const ACCESS_KEY = 'AKIAMS5MINIOBACKUP01';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYs3Cr3tKeY9';
const RO_KEY = 'AKIAMS5READONLY00001';
const RO_SECRET = 'ro-S3cr3t-never-logged-4242';

let s3: S3Fake;
let w: World;
let admin: S3Client;
const objects = new Map<string, Buffer>();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = async (bucket: string, key: string) =>
  Buffer.from(await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
const gets = (since: number) => s3.requests.slice(since).filter((r) => r.method === 'GET' && !r.path.includes('list-type')).length;

async function put(key: string, data: Buffer) {
  objects.set(key, data);
  await admin.send(new PutObjectCommand({ Bucket: 'media', Key: key, Body: data }));
}

async function complete(id: string, parts: string[]) {
  return writeManifest(w.env, {
    backupId: id,
    cluster: CLUSTER,
    parts,
    failed: [],
    warnings: [],
    trigger: 'cli',
    requestedBy: 'test',
    startedAt: 'x',
    finishedAt: 'y',
  });
}

async function backup(id: string) {
  await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['s3'] });
  const s = await backupS3(w.env, { backupId: id, cluster: CLUSTER, name: 'minio-media' });
  await complete(id, [s.part]);
  return s;
}

beforeAll(async () => {
  s3 = await startS3Fake({
    buckets: ['media', 'media-restore', 'forbidden', 'large'],
    keys: [
      { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, buckets: ['media', 'media-restore', 'no-such-bucket', 'large'] },
      { accessKeyId: RO_KEY, secretAccessKey: RO_SECRET, buckets: ['media', 'media-restore'], readOnly: true },
    ],
  });
  admin = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const entry = (name: string, bucket: string, secret: string) => ({
    name,
    endpoint: s3.endpoint,
    region: s3.region,
    bucket,
    listPageSize: 3,
    credentials: { secret: { namespace: 'minio', name: secret } },
  });
  w = await createWorld({
    tag: 's3',
    clusterBackup: {
      s3: [
        entry('minio-media', 'media', 'minio-backup'),
        entry('forbidden', 'forbidden', 'minio-backup'),
        entry('no-bucket', 'no-such-bucket', 'minio-backup'),
        entry('read-only', 'media', 'minio-readonly'),
        entry('wrong-key', 'media', 'minio-wrong'),
        { ...entry('large', 'large', 'minio-backup'), concurrency: 32, listPageSize: 100 },
      ],
    },
  });
  const secret = (name: string, ak: string, sk: string) =>
    w.kube.seed('secrets', {
      metadata: { name, namespace: 'minio' },
      type: 'Opaque',
      data: { accesskey: Buffer.from(ak).toString('base64'), secretkey: Buffer.from(sk).toString('base64') },
    });
  secret('minio-backup', ACCESS_KEY, SECRET_KEY);
  secret('minio-readonly', RO_KEY, RO_SECRET);
  secret('minio-wrong', ACCESS_KEY, 'not-the-secret-key');
  await put('uploads/2025/report.pdf', Buffer.from('%PDF-1.7 quarterly report'));
  await put('uploads/ünïcödé name+plus.txt', Buffer.from('unicode key'));
  await put('empty', Buffer.alloc(0));
  await put('models/weights.bin', Buffer.alloc(6 * 1024 * 1024 + 123, 7)); // > 4 MiB: several blocks
  for (let i = 0; i < 5; i++) await put(`thumbs/${i}.jpg`, Buffer.from(`thumb-${i}`));
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s3?.stop();
});

describe('S3 bucket backup', () => {
  it('copies every object (paged listing), one blob each with its SHA-256, verifies, and records the kind in the manifest', async () => {
    const id = '20250101T020000Z-nightly';
    const plan = await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['s3'] });
    expect(plan.s3).toEqual(['minio-media', 'forbidden', 'no-bucket', 'read-only', 'wrong-key', 'large']);
    const before = s3.requests.length;
    const s = await backup(id);
    expect([s.part, s.items, s.reused]).toEqual(['s3.minio-media', objects.size, 0]);
    // max-keys 3 over 9 objects: the listing followed continuation tokens.
    expect(s3.requests.slice(before).filter((r) => r.path.includes('continuation-token')).length).toBeGreaterThanOrEqual(2);
    const m = (await readManifest(w.env, CLUSTER, id))!;
    const items = m.items.filter((i) => i.type === 's3');
    expect(items.map((i) => i.key).sort()).toEqual([...objects.keys()].sort());
    for (const it of items) {
      const data = objects.get(it.key!)!;
      expect([it.size, it.sha256, it.bucket]).toEqual([data.length, sha(data), 'media']);
      expect(it.etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(sha(await w.blobs.readBuffer(it.container, it.path))).toBe(sha(data)); // (toEqual on 6 MiB buffers takes minutes)
    }
    expect(m.counts['s3Objects']).toBe(objects.size);
    expect((await verifyBackup(w.env, CLUSTER, id)).ok).toBe(true);
  });

  it('is incremental: unchanged objects are copied inside Blob, only new and changed ones are read from S3; deleted ones drop out', async () => {
    await put('thumbs/1.jpg', Buffer.from('thumb-1 re-encoded'));
    await put('uploads/new.txt', Buffer.from('new object'));
    await admin.send(new DeleteObjectCommand({ Bucket: 'media', Key: 'thumbs/4.jpg' }));
    objects.delete('thumbs/4.jpg');
    const before = s3.requests.length;
    const s = await backup('20250102T020000Z-nightly');
    expect(gets(before)).toBe(2);
    expect([s.items, s.reused]).toEqual([objects.size, objects.size - 2]);
    const m = (await readManifest(w.env, CLUSTER, '20250102T020000Z-nightly'))!;
    const byKey = new Map(m.items.map((i) => [i.key, i]));
    expect(byKey.has('thumbs/4.jpg')).toBe(false);
    expect(byKey.get('thumbs/1.jpg')!.sha256).toBe(sha(Buffer.from('thumb-1 re-encoded')));
    expect(byKey.get('models/weights.bin')!.path).toContain('20250102T020000Z-nightly/'); // a whole backup on its own
    expect((await verifyBackup(w.env, CLUSTER, '20250102T020000Z-nightly')).ok).toBe(true);
  });

  it('rides out SlowDown throttling (the client retries 503 SlowDown) and resumes a part without reading S3 again', async () => {
    const id = '20250103T020000Z-nightly';
    await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['s3'] });
    s3.slowDown(2);
    const first = await backupS3(w.env, { backupId: id, cluster: CLUSTER, name: 'minio-media' });
    expect([first.items, s3.throttled()]).toEqual([objects.size, 2]);
    const before = s3.requests.length;
    const again = await backupS3(w.env, { backupId: id, cluster: CLUSTER, name: 'minio-media' });
    expect([again.resumed, s3.requests.length - before]).toEqual([true, 0]);
  });

  it('fails with the S3 error and its fix, never with a credential: wrong secret key, no access, no bucket', async () => {
    const cases: Array<[string, RegExp]> = [
      ['wrong-key', /SignatureDoesNotMatch \(HTTP 403\)\. Fix: the secret key does not match/],
      ['forbidden', /AccessDenied \(HTTP 403\)\. Fix: give the access key read/],
      ['no-bucket', /NoSuchBucket \(HTTP 404\)\. Fix: check backups\.clusters\[\]\.s3\[\]\.bucket/],
    ];
    for (const [name, re] of cases) {
      const err = await backupS3(w.env, { backupId: '20250104T020000Z-nightly', cluster: CLUSTER, name }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(re);
      expect(err?.message).toContain(`s3 ${name}`);
      const dump = JSON.stringify({ message: err!.message, stack: err!.stack, props: { ...err } });
      for (const v of [SECRET_KEY, 'not-the-secret-key', RO_SECRET]) expect(dump.includes(v)).toBe(false);
    }
    const missing = await backupS3(w.env, { backupId: '20250104T020000Z-nightly', cluster: CLUSTER, name: 'nope' }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(missing).toMatch(/s3 entry "nope" is not configured.*Fix: add it to backups.clusters\[\].s3/);
  });

  it('streams as many objects at once as concurrency says (32), their block buffers within the process pool', async () => {
    // 8 objects of 5 MiB: each would hold 3 blocks of 4 MiB of its own (96 MiB for the 8).
    const large = new Map<string, Buffer>();
    for (let i = 0; i < 8; i++) {
      const data = Buffer.alloc(5 * 1024 * 1024, i + 1);
      large.set(`big/${i}.bin`, data);
      await admin.send(new PutObjectCommand({ Bucket: 'large', Key: `big/${i}.bin`, Body: data }));
    }
    const id = '20250105T020000Z-nightly';
    await planBackup(w.env, { backupId: id, cluster: CLUSTER, parts: ['s3'] });
    const writeOnce = w.env.blobs.writeOnce.bind(w.env.blobs);
    const acquire = processBlockBuffers.acquire.bind(processBlockBuffers);
    let open = 0;
    let most = 0;
    let pooled = 0;
    w.env.blobs.writeOnce = async (...args) => {
      most = Math.max(most, ++open);
      try {
        return await writeOnce(...args);
      } finally {
        open -= 1;
      }
    };
    processBlockBuffers.acquire = async (size) => {
      const lease = await acquire(size);
      pooled = Math.max(pooled, processBlockBuffers.allocatedBytes);
      return lease;
    };
    try {
      const s = await backupS3(w.env, { backupId: id, cluster: CLUSTER, name: 'large' });
      expect(s.items).toBe(8);
    } finally {
      w.env.blobs.writeOnce = writeOnce;
      processBlockBuffers.acquire = acquire;
    }
    expect(most).toBe(8);
    expect(pooled).toBeLessThanOrEqual(BLOCK_BUFFER_CAP);
    expect(processBlockBuffers.leasedBytes).toBe(0);
    const rec = (await readPartRecord(w.env, CLUSTER, id, partIds.s3('large')))!;
    for (const it of rec.items) expect([it.size, it.sha256]).toEqual([5 * 1024 * 1024, sha(large.get(it.key!)!)]);
  });

  it('cuts an object of known size into blocks of one size, at least 4 MiB, 50,000 covering it', () => {
    const MIB = 1024 * 1024;
    expect(objectBlockBytes(5 * MIB)).toBe(4 * MIB);
    // 190 GiB: 48,640 blocks of 4 MiB, all 4 MiB (a dump's estimate would make those past 45,000 64 MiB).
    expect(objectBlockBytes(190 * 1024 * MIB)).toBe(4 * MIB);
    expect(objectBlockBytes(1024 * 1024 * MIB)).toBe(21 * MIB); // 1 TiB
  });
});

describe('S3 restore', () => {
  const id = '20250102T020000Z-nightly';
  const input = {
    restoreId: 'r1',
    cluster: CLUSTER,
    sourceCluster: CLUSTER,
    backupId: id,
    names: ['minio-media'],
    bucketMap: { 'minio-media': 'media-restore' },
  };

  it('dry-run writes nothing; then restores into another bucket with the same bytes; a second run reports every object as a conflict', async () => {
    const dry = await restoreS3(w.env, { ...input, conflict: 'skip', dryRun: true });
    expect([dry.created, dry.failed]).toEqual([objects.size, []]);
    expect((await admin.send(new ListObjectsV2Command({ Bucket: 'media-restore' }))).KeyCount ?? 0).toBe(0);

    const r = await restoreS3(w.env, { ...input, conflict: 'skip', dryRun: false });
    expect([r.created, r.failed, r.conflicts]).toEqual([objects.size, [], []]);
    for (const [key, data] of objects) expect(sha(await body('media-restore', key))).toBe(sha(data));

    const again = await restoreS3(w.env, { ...input, conflict: 'skip', dryRun: true });
    expect([again.created, again.skipped, again.conflicts?.length]).toEqual([0, objects.size, objects.size]);
    expect(again.conflicts).toContain('S3Object media-restore/uploads/ünïcödé name+plus.txt');
  });

  it('overwrites under conflict update, through the restore runner (what aksops restore runs)', async () => {
    await admin.send(new PutObjectCommand({ Bucket: 'media-restore', Key: 'thumbs/0.jpg', Body: 'vandalised' }));
    const out = await runRestore(w.env, {
      restoreId: 'r2',
      cluster: CLUSTER,
      backupId: id,
      buckets: ['minio-media'],
      bucketMap: { 'minio-media': 'media-restore' },
      conflict: 'update',
      dryRun: false,
      requestedBy: 'test',
    });
    expect([out.outcome, out.updated, out.conflicts?.length]).toEqual(['restored', objects.size, objects.size]);
    expect((await body('media-restore', 'thumbs/0.jpg')).toString()).toBe('thumb-0');
    const unknown = await runRestore(w.env, {
      restoreId: 'r3',
      cluster: CLUSTER,
      backupId: id,
      buckets: ['other'],
      conflict: 'skip',
      dryRun: true,
      requestedBy: 'test',
    }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(unknown).toMatch(/holds no s3 entry other/);
  });

  it('a read-only key fails the restore per object with AccessDenied, and a tampered blob is caught by verify and refused by restore', async () => {
    // The read-only entry backs up fine, and its restore fails object by object with AccessDenied.
    const roId = '20250105T020000Z-nightly';
    await planBackup(w.env, { backupId: roId, cluster: CLUSTER, parts: ['s3'] });
    await complete(roId, [(await backupS3(w.env, { backupId: roId, cluster: CLUSTER, name: 'read-only' })).part]);
    const ro = await restoreS3(w.env, {
      ...input,
      backupId: roId,
      names: ['read-only'],
      bucketMap: { 'read-only': 'media-restore' },
      conflict: 'update',
      dryRun: false,
    });
    expect([ro.created + ro.updated, ro.failed.length]).toEqual([0, objects.size]);
    expect(ro.failed[0]!.error).toMatch(
      /PutObject media-restore\/.*: AccessDenied \(HTTP 403\)\. Fix: give the access key read \(backup\) or write \(restore\) rights/,
    );
    const m = (await readManifest(w.env, CLUSTER, id))!;
    const victim = m.items.find((i) => i.key === 'uploads/new.txt')!;
    const c = await w.blobs.container(victim.container);
    await c.getBlockBlobClient(victim.path).upload('tampered!!', 10, { metadata: { aksopssha256: victim.sha256, aksopssize: '10' } });
    const v = await verifyBackup(w.env, CLUSTER, id);
    expect(v.mismatches.map((x) => x.path)).toEqual([`${victim.container}/${victim.path}`]);
    await admin.send(new DeleteObjectCommand({ Bucket: 'media-restore', Key: 'uploads/new.txt' }));
    const r = await restoreS3(w.env, { ...input, conflict: 'skip', dryRun: false });
    expect(r.failed.map((f) => f.object)).toEqual(['S3Object media-restore/uploads/new.txt']);
    expect(r.failed[0]!.error).toMatch(/do not match the manifest's SHA-256; the object was removed again/);
    const left = (await admin.send(new ListObjectsV2Command({ Bucket: 'media-restore', Prefix: 'uploads/new' }))).KeyCount ?? 0;
    expect(left).toBe(0);
  });

  it('the key pair never reaches a manifest, part record, blob metadata or Kubernetes request log', async () => {
    const seen: string[] = [];
    for (const b of ['20250101T020000Z-nightly', '20250102T020000Z-nightly']) {
      seen.push(JSON.stringify(await readManifest(w.env, CLUSTER, b)));
      seen.push(JSON.stringify(await w.blobs.readJson(w.backups.containers.objects, `${CLUSTER}/${b}/parts/${partIds.s3('minio-media')}.json`)));
      for (const c of Object.values(w.backups.containers)) seen.push(JSON.stringify(await w.blobs.list(c, `${CLUSTER}/${b}/`)));
    }
    seen.push(JSON.stringify(w.kube.requests));
    const text = seen.join('\n');
    expect(text).toContain('minio-media'); // the scan saw the backups
    for (const v of [SECRET_KEY, RO_SECRET, Buffer.from(SECRET_KEY).toString('base64')]) expect(text.includes(v)).toBe(false);
  });
});

describe('S3 config', () => {
  const parse = (s3: unknown[]) => {
    const r = backupsSchema.safeParse({ encryption: { localKeySetting: 'K' }, clusters: [{ cluster: 'c', s3 }] });
    if (!r.success) return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    return checkBackups(r.data, new Set(['c'])).map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const ok = { name: 'media', endpoint: 'https://minio.example.com', bucket: 'media', credentials: { secret: { namespace: 'minio', name: 'creds' } } };

  it('accepts a Secret or Key Vault reference and names the field and the fix otherwise', () => {
    expect(parse([ok, { ...ok, name: 'kv', credentials: { keyVault: { accessKeyIdSecret: 'a', secretAccessKeySecret: 'b' } } }])).toEqual([]);
    expect(parse([{ ...ok, bucket: 'Media_Bucket' }]).join()).toMatch(/clusters\.0\.s3\.0\.bucket: is not an S3 bucket name.*Fix: e\.g\. media-uploads/);
    expect(parse([{ ...ok, credentials: { accessKeyId: 'AKIA', secretAccessKey: 'x' } }]).join()).toMatch(
      /clusters\.0\.s3\.0\.credentials: must be \{secret.*Fix: see docs\/backups\.md/,
    );
    expect(parse([{ ...ok, endpoint: 'ftp://x' }]).join()).toMatch(/s3\.0\.endpoint: must be an http\(s\) URL/);
    expect(parse([ok, ok]).join()).toMatch(/s3\.1\.name: "media" is used twice/);
    expect(parse([{ ...ok, credentials: { secret: { namespace: 'Bad_NS', name: 'creds' } } }]).join()).toMatch(
      /credentials\.secret\.namespace: .*Fix: the namespace of the Secret/,
    );
  });
});

describe('POST /api/restores with buckets', () => {
  const b = backupsSchema.parse({ encryption: { localKeySetting: 'K' }, clusters: [{ cluster: 'c' }] });
  const now = new Date('2025-01-02T03:00:00Z');
  it('carries buckets and bucketMap into the restore input, and refuses a target that is not a bucket name', () => {
    const r = restoreRequest(
      b,
      { cluster: 'c', backupId: '20250101T020000Z-nightly', buckets: ['media'], bucketMap: { media: 'media-restore' } },
      now,
      'user:a',
      'abc123',
    );
    expect(r.input).toMatchObject({ buckets: ['media'], bucketMap: { media: 'media-restore' }, dryRun: true });
    expect(() =>
      restoreRequest(
        b,
        { cluster: 'c', backupId: '20250101T020000Z-nightly', buckets: ['media'], bucketMap: { media: 'http://evil.example/x' } },
        now,
        'user:a',
      ),
    ).toThrow(/bucketMap: "media" must map an s3 entry name to an S3 bucket name/);
  });
});
