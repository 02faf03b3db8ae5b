// backup.secondary_copy_mb_per_second: the second-region copy of one 128 MiB backup blob between
// two accounts of a real Azurite (AZURITE_ACCOUNTS, started here): Copy Blob from a read SAS
// (src/adapters/blob-copy.ts, as copyToSecondary runs it) plus the SHA-256 re-read of the copy on
// the secondary (the verification). Baseline: BlockBlobClient.uploadStream of the same bytes from
// a local file (8 MiB x 5), the raw upload the dump benchmark uses. Goal: ratio >= 0.8.
// backup.secondary_copy_peak_rss_mb: peak RSS of this process during copy + verify. Goal: < 200 MB.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Benchmark, type BenchResult, nowMs, round, withRatio } from './lib.js';
import { startAzurite } from '../test/support/azurite.js';
import { BackupBlobStore } from '../src/adapters/blob-store.js';
import { ReadSasIssuer, copyBlobFromUrl } from '../src/adapters/blob-copy.js';

const MIB = 1024 * 1024;
// BENCH_COPY_MIB overrides the size (Azurite answers 500 to a 512 MiB cross-account Copy Blob: see docs/benchmarks.md).
const SIZE = Number(process.env['BENCH_COPY_MIB'] ?? 128) * MIB;

async function run(): Promise<BenchResult[]> {
  const keys = { benchprimary: randomBytes(32).toString('base64'), benchsecondary: randomBytes(32).toString('base64') };
  const azurite = await startAzurite({
    accounts: Object.entries(keys)
      .map(([n, k]) => `${n}:${k}`)
      .join(';'),
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-copy-'));
  try {
    const origin = new URL(azurite.blobEndpoint).origin;
    const store = (n: keyof typeof keys) =>
      new BackupBlobStore({ connectionString: `DefaultEndpointsProtocol=http;AccountName=${n};AccountKey=${keys[n]};BlobEndpoint=${origin}/${n};` });
    const primary = store('benchprimary');
    const secondary = store('benchsecondary');
    const file = join(dir, 'payload');
    const fd = openSync(file, 'w');
    for (let i = 0; i < SIZE / (8 * MIB); i++) writeSync(fd, randomBytes(8 * MIB));
    closeSync(fd);
    // Baseline: the raw upload of the same bytes.
    const source = (await primary.container('bench')).getBlockBlobClient('backup.bin');
    let t = nowMs();
    await source.uploadStream(createReadStream(file, { highWaterMark: 8 * MIB }), 8 * MIB, 5);
    const rawSeconds = (nowMs() - t) / 1000;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    t = nowMs();
    await copyBlobFromUrl(secondary, 'bench', 'backup.bin', await new ReadSasIssuer(primary).url('bench', 'backup.bin'));
    const hash = createHash('sha256');
    let size = 0;
    for await (const c of await secondary.read('bench', 'backup.bin')) {
      hash.update(c as Buffer);
      size += (c as Buffer).length;
    }
    const copySeconds = (nowMs() - t) / 1000;
    clearInterval(sampler);
    if (size !== SIZE) throw new Error(`copy has ${size} bytes, expected ${SIZE}`);
    hash.digest('hex');
    return [
      withRatio({
        name: 'backup.secondary_copy_mb_per_second',
        value: round(SIZE / MIB / copySeconds, 1),
        unit: 'MiB/s',
        better: 'higher',
        baseline: round(SIZE / MIB / rawSeconds, 1),
        goal: 'ratio >= 0.8',
      }),
      { name: 'backup.secondary_copy_peak_rss_mb', value: round(peak / MIB, 1), unit: 'MiB', better: 'lower', goal: '< 200 MB' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await azurite.stop();
  }
}

export const secondaryCopyBenchmark: Benchmark = { name: 'backup.secondary', run };
