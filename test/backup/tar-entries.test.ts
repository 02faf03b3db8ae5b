// The header-only tar entry counter (src/backup/tar-entries.ts) against archives written by the
// real GNU tar in each of its formats, cut into every kind of chunk, with tar-stream (a full
// parser) and `find` as the oracles; and against hand-made headers for what GNU tar only writes
// for files over 8 GiB (base-256 sizes, pax size records).
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { countTarEntries, paxRecords, tarSize, TarFormatError } from '../../src/backup/tar-entries.js';
import { fillVolume } from './volume-world.js';

const dir = mkdtempSync(join(tmpdir(), 'tar-entries-'));
fillVolume(dir);
linkSync(join(dir, 'empty'), join(dir, 'hard-link-to-empty'));
writeFileSync(join(dir, 'exactly-512'), Buffer.alloc(512, 1));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tarOf = (format: string) => execFileSync('tar', [`--format=${format}`, '-C', dir, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
const onDisk = () => Number(execFileSync('sh', ['-c', 'cd "$0" && find . -mindepth 1 | wc -l', dir]).toString().trim());

function count(bytes: Buffer, chunk: number): number {
  const c = countTarEntries();
  for (let at = 0; at < bytes.length; at += chunk) c.write(bytes.subarray(at, at + chunk));
  c.end();
  return c.entries;
}

/** tar-stream's count of the same archive (root "./" left out). */
async function oracle(bytes: Buffer): Promise<number> {
  const x = extract();
  let n = 0;
  x.on('entry', (h, stream, next) => {
    if (h.name !== './' && h.name !== '.') n += 1;
    stream.on('end', () => next());
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    x.on('finish', resolve);
    x.on('error', reject);
  });
  Readable.from([bytes]).pipe(x);
  await done;
  return n;
}

/** A 512-byte header with a valid checksum. */
function header(name: string, type: string, size: Buffer | number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  if (typeof size === 'number') h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  else size.copy(h, 124);
  h.write(type, 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}
const pad = (n: number) => Buffer.alloc(Math.ceil(n / 512) * 512 - n);
const END = Buffer.alloc(1024);

describe('countTarEntries: real GNU tar archives', () => {
  for (const format of ['gnu', 'pax', 'ustar', 'oldgnu']) {
    it(`counts what find and tar-stream count, ${format} format, in any chunking`, async () => {
      // ustar cannot store the 150-character name: tar warns and leaves it out, so compare with tar-stream there.
      let bytes: Buffer;
      try {
        bytes = tarOf(format);
      } catch (e) {
        bytes = (e as { stdout: Buffer }).stdout;
      }
      const expected = await oracle(bytes);
      if (format !== 'ustar') expect(expected).toBe(onDisk());
      expect(expected).toBeGreaterThan(8);
      for (const chunk of [1, 7, 511, 512, 513, 4096, 65536, bytes.length]) expect(count(bytes, chunk), `chunks of ${chunk}`).toBe(expected);
    });
  }

  it('an empty directory is one "./" entry: zero entries', () => {
    const empty = mkdtempSync(join(tmpdir(), 'tar-empty-'));
    try {
      expect(count(execFileSync('tar', ['-C', empty, '-cf', '-', '.']), 512)).toBe(0);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('countTarEntries: refuses what is not a whole tar archive', () => {
  const bytes = tarOf('gnu');

  it('random bytes: the first header checksum does not match', () => {
    expect(() => count(Buffer.from('this is a PostgreSQL dump, not a tar archive'.repeat(40)), 512)).toThrow(/first header checksum/);
  });

  it('an empty stream has no tar header', () => {
    expect(() => count(Buffer.alloc(0), 512)).toThrow(TarFormatError);
  });

  it('a stream cut inside a header or inside entry data is truncated', () => {
    // Offsets inside the first header, inside the 3 MiB binary's data, and 1 byte short of the end marker's start.
    for (const cut of [100, 512 + 17, Math.floor(bytes.length / 2) + 3]) {
      expect(() => count(bytes.subarray(0, cut), 4096), `cut at ${cut}`).toThrow(/truncated/);
    }
  });

  it('a corrupted header later in the stream is refused', () => {
    const bad = Buffer.from(bytes);
    // The second header starts after the first entry ("./": a directory, no data).
    bad[512 + 10] = bad[512 + 10]! ^ 0xff;
    expect(() => count(bad, 65536)).toThrow(/a header checksum does not match/);
  });
});

describe('sizes GNU tar writes only for files over 8 GiB', () => {
  it('tarSize reads octal and GNU base-256', () => {
    expect(tarSize(Buffer.from('00000001750\0', 'latin1'))).toBe(1000);
    expect(tarSize(Buffer.from('   1750 \0\0\0\0', 'latin1'))).toBe(1000);
    const big = Buffer.alloc(12);
    big[0] = 0x80;
    big.writeUIntBE(9 * 1024 ** 3, 6, 6); // 9 GiB
    expect(tarSize(big)).toBe(9 * 1024 ** 3);
    expect(() => tarSize(Buffer.from('0000000175x\0', 'latin1'))).toThrow(/not octal/);
    expect(() => tarSize(Buffer.alloc(12, 0xff))).toThrow(/negative/);
  });

  it('a base-256 size skips exactly that much data', () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUIntBE(1000, 6, 6);
    const archive = Buffer.concat([header('big.bin', '0', size), Buffer.alloc(1000, 7), pad(1000), header('after', '0', 0), END]);
    expect(count(archive, 100)).toBe(2);
  });

  it("a pax header's size record overrides the next entry's size field", () => {
    const record = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len += 1;
      return `${len}${body}`;
    };
    const pax = Buffer.from(record('path', 'x'.repeat(120)) + record('size', '1000'), 'utf8');
    expect(paxRecords(pax)).toEqual({ size: 1000, path: 'x'.repeat(120) });
    const archive = Buffer.concat([
      header('PaxHeaders/big.bin', 'x', pax.length),
      pax,
      pad(pax.length),
      header('big.bin', '0', 0), // the ustar size field cannot hold it: 0, the pax record has it
      Buffer.alloc(1000, 0x41),
      pad(1000),
      header('after', '0', 0),
      END,
    ]);
    for (const chunk of [1, 300, 512, archive.length]) expect(count(archive, chunk)).toBe(2);
  });

  it('an empty pax header and old GNU time fields where ustar keeps its prefix', () => {
    const gnuRoot = header('./', '5', 0);
    gnuRoot.write('ustar  \0', 257, 'latin1'); // GNU magic: bytes 345.. are atime/ctime, not a prefix
    gnuRoot.write('14757275046\0', 345, 'latin1');
    gnuRoot.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of gnuRoot) sum += b;
    gnuRoot.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const archive = Buffer.concat([gnuRoot, header('PaxHeaders/a', 'x', 0), header('a', '0', 3), Buffer.from('abc'), pad(3), END]);
    for (const chunk of [1, 512, archive.length]) expect(count(archive, chunk)).toBe(1);
  });

  it('pax records with a wrong length are refused', () => {
    expect(() => paxRecords(Buffer.from('99 size=10\n'))).toThrow(/out of range/);
    expect(() => paxRecords(Buffer.from('size=10\n'))).toThrow(/without a length|out of range/);
  });
});
