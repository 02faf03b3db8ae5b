// Counts the entries of a tar stream as it passes, reading only the 512-byte headers: entry data
// is skipped by arithmetic, never copied or parsed. Why not tar-stream (which the restore side's
// tests still use as the oracle): its extract pushes every data byte through an entry stream,
// which cost 0.4-1.2 ms of CPU per MiB on the PVC backup path for data this counter discards
// (docs/benchmarks.md, backup.stream). What is read (POSIX ustar, GNU and pax, as GNU tar and
// busybox write them):
//   - header checksum (bytes 148-155, octal) over the header with the field as spaces: a stream
//     whose first or any later header fails it is not a tar archive;
//   - size (bytes 124-135): octal, or GNU base-256 when the first byte has its top bit set;
//     a pax header's `size=` and `path=` records override the next entry's (files over 8 GiB,
//     long names);
//   - type (byte 156): pax 'x'/'g' and GNU long name/link 'L'/'K' carry metadata for the next
//     entry and are not entries; everything else is one entry, the root "./" excepted;
//   - all-zero blocks (the end-of-archive marker and the record padding after it) are skipped.
// A stream that ends inside a header or an entry's data is truncated and fails at end().

const BLOCK = 512;
/** A pax header is metadata of one entry: anything larger is not one we should hold in memory. */
const MAX_PAX_BYTES = 1024 * 1024;
const METADATA_TYPES = new Set(['x', 'g', 'L', 'K']);

export class TarFormatError extends Error {}

/** Entry size from the 12-byte size field: octal digits, or GNU base-256 (top bit of byte 0 set). */
export function tarSize(field: Buffer): number {
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw new TarFormatError('negative base-256 size');
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    if (!Number.isSafeInteger(n)) throw new TarFormatError('base-256 size beyond 2^53 bytes');
    return n;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`size field "${text}" is not octal`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = h
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === parseInt(stored, 8);
}

function isZero(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

/** The `size` and `path` records of pax extended header data ("<len> <key>=<value>\n" records). */
export function paxRecords(data: Buffer): { size?: number; path?: string } {
  const out: { size?: number; path?: string } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) throw new TarFormatError('pax record without a length');
    const len = Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(len) || len <= space - at || at + len > data.length) throw new TarFormatError('pax record length out of range');
    const record = data.toString('utf8', space + 1, at + len - 1);
    if (record.startsWith('size=')) {
      const n = Number(record.slice(5));
      if (!Number.isSafeInteger(n) || n < 0) throw new TarFormatError(`pax size "${record.slice(5)}" is not a byte count`);
      out.size = n;
    } else if (record.startsWith('path=')) out.path = record.slice(5);
    at += len;
  }
  return out;
}

export interface TarEntryCounter {
  /** Feeds the next bytes of the stream (any chunking). */
  write(chunk: Buffer): void;
  /** The stream ended: throws when it ended inside a header or an entry. */
  end(): void;
  readonly entries: number;
}

export function countTarEntries(): TarEntryCounter {
  const header = Buffer.alloc(BLOCK);
  let have = 0; // bytes of the current header collected
  let skip = 0; // data (and padding) bytes of the current entry still to pass
  let entries = 0;
  let paxData: Buffer[] | undefined; // collecting an 'x' header's data
  let paxLeft = 0;
  let nextSize: number | undefined; // from a pax header, for the next entry
  let nextPath: string | undefined; // from a pax header, for the next entry
  let longName = false; // the next entry's name came from a GNU 'L' header (over 100 characters: not "./")
  let seenHeader = false;

  const onHeader = () => {
    if (isZero(header)) return;
    if (!checksumOk(header)) throw new TarFormatError(seenHeader ? 'a header checksum does not match' : 'the first header checksum does not match');
    seenHeader = true;
    const type = String.fromCharCode(header[156]!);
    const size = tarSize(header.subarray(124, 136));
    if (METADATA_TYPES.has(type)) {
      if (type === 'L') longName = true;
      if (type === 'x' && size > 0) {
        if (size > MAX_PAX_BYTES) throw new TarFormatError(`pax header of ${size} bytes`);
        paxData = [];
        paxLeft = size;
      }
      skip = Math.ceil(size / BLOCK) * BLOCK;
      return;
    }
    const name = header.toString('latin1', 0, 100).replace(/\0.*$/s, '');
    // Only POSIX ustar ("ustar\0") has a name prefix there; old GNU headers keep times in those bytes.
    const posix = header.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = posix ? header.toString('latin1', 345, 500).replace(/\0.*$/s, '') : '';
    const path = nextPath ?? (prefix === '' ? name : `${prefix}/${name}`);
    if (longName || (path !== './' && path !== '.')) entries += 1;
    skip = Math.ceil((nextSize ?? size) / BLOCK) * BLOCK;
    nextSize = undefined;
    nextPath = undefined;
    longName = false;
  };

  return {
    write(chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          if (paxData && paxLeft > 0) {
            const take = Math.min(n, paxLeft);
            paxData.push(Buffer.from(chunk.subarray(at, at + take)));
            paxLeft -= take;
          }
          skip -= n;
          at += n;
          if (skip === 0 && paxData) {
            const pax = paxRecords(Buffer.concat(paxData));
            nextSize = pax.size ?? nextSize;
            nextPath = pax.path ?? nextPath;
            paxData = undefined;
          }
          continue;
        }
        const n = Math.min(BLOCK - have, chunk.length - at);
        chunk.copy(header, have, at, at + n);
        have += n;
        at += n;
        if (have === BLOCK) {
          have = 0;
          onHeader();
        }
      }
    },
    end() {
      if (have !== 0 || skip !== 0) throw new TarFormatError('the archive is truncated (it ends inside a header or an entry)');
      if (!seenHeader) throw new TarFormatError('no tar header in the stream');
    },
    get entries() {
      return entries;
    },
  };
}
