// Encryption of backed-up Secrets, before they leave the function: AES-256-GCM (NIST SP 800-38D,
// node:crypto) with a random data key per backup; the data key is stored only wrapped by a key
// encryption key (KEK): a Key Vault key (RSA-OAEP-256, src/adapters/key-wrap.ts) in Azure, or
// locally a 256-bit key from an app setting (AES key wrap, RFC 3394, `id-aes256-wrap`).
//
// Encrypted blob layout (streamable both ways):
//   "AKSOPSE1" (8 bytes) | IV (12 random bytes) | ciphertext | GCM tag (16 bytes)
// The additional authenticated data is the blob's "container/path", so a ciphertext moved to
// another name fails authentication. A fresh IV per blob; one data key never encrypts more
// than a backup's few blobs, far from GCM's 2^32 invocation limit.
import { createCipheriv, createDecipheriv, randomBytes, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export const MAGIC = Buffer.from('AKSOPSE1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + IV_BYTES;
export const ENCRYPTION_OVERHEAD = HEADER_BYTES + TAG_BYTES;

export function newDataKey(): Buffer {
  return randomBytes(32);
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new RangeError(`AES-256 needs a 32-byte key, got ${key.length} bytes`);
}

/** A Transform that turns plaintext into the encrypted blob layout. */
export function encryptStream(dataKey: Buffer, aad: string): Transform {
  checkKey(dataKey);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  let headerSent = false;
  const header = (t: Transform) => {
    if (!headerSent) {
      headerSent = true;
      t.push(Buffer.concat([MAGIC, iv]));
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      header(this);
      cb(null, cipher.update(chunk));
    },
    flush(cb: TransformCallback) {
      header(this);
      const last = cipher.final();
      if (last.length > 0) this.push(last);
      this.push(cipher.getAuthTag());
      cb();
    },
  });
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/**
 * A Transform that decrypts the encrypted blob layout. It emits plaintext as it goes and fails at
 * the end when the tag does not verify: consumers must not act on the output before the stream
 * finished without error (decryptBuffer does that for small blobs).
 */
export function decryptStream(dataKey: Buffer, aad: string): Transform {
  checkKey(dataKey);
  let head = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let held = Buffer.alloc(0); // the last TAG_BYTES seen: maybe the tag
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        head = Buffer.concat([head, data]);
        if (head.length < HEADER_BYTES) return cb();
        if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return cb(new DecryptionError('not an aksops encrypted blob (bad magic)'));
        decipher = createDecipheriv('aes-256-gcm', dataKey, head.subarray(MAGIC.length, HEADER_BYTES));
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        data = head.subarray(HEADER_BYTES);
        head = Buffer.alloc(0);
      }
      const all = held.length > 0 ? Buffer.concat([held, data]) : data;
      if (all.length <= TAG_BYTES) {
        held = Buffer.from(all);
        return cb();
      }
      held = Buffer.from(all.subarray(all.length - TAG_BYTES));
      cb(null, decipher.update(all.subarray(0, all.length - TAG_BYTES)));
    },
    flush(cb: TransformCallback) {
      if (!decipher || held.length !== TAG_BYTES) return cb(new DecryptionError('encrypted blob is truncated'));
      decipher.setAuthTag(held);
      try {
        const last = decipher.final();
        if (last.length > 0) this.push(last);
        cb();
      } catch {
        cb(new DecryptionError(`authentication failed for ${aad}: wrong key, or the blob was changed or moved`));
      }
    },
  });
}

async function through(t: Transform, input: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    t.on('end', resolve);
    t.on('error', reject);
  });
  t.end(input);
  await done;
  return Buffer.concat(out);
}

export function encryptBuffer(dataKey: Buffer, aad: string, plaintext: Buffer): Promise<Buffer> {
  return through(encryptStream(dataKey, aad), plaintext);
}

/** Decrypts and verifies a whole blob; returns nothing unverified. */
export function decryptBuffer(dataKey: Buffer, aad: string, blob: Buffer): Promise<Buffer> {
  return through(decryptStream(dataKey, aad), blob);
}

// ---- key encryption keys ------------------------------------------------------------------

/** Wraps and unwraps data keys with a key encryption key. */
export interface KeyWrapper {
  kind: 'key-vault' | 'local';
  /** Key Vault key ID (versioned after the first wrap), or "setting:NAME" for a local key. */
  id: string;
  wrapAlgorithm: string;
  wrap(dataKey: Buffer): Promise<{ wrapped: Buffer; keyId: string }>;
  unwrap(wrapped: Buffer, keyId: string): Promise<Buffer>;
}

const RFC3394_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** A 256-bit KEK held locally (an app setting with the base64 key): AES key wrap (RFC 3394). */
export function localKeyWrapper(settingName: string, kekBase64: string): KeyWrapper {
  const kek = Buffer.from(kekBase64, 'base64');
  if (kek.length !== 32) {
    throw new Error(
      `App setting ${settingName} must hold a base64 256-bit key (32 bytes), it holds ${kek.length} bytes. Fix: set it to the output of \`openssl rand -base64 32\``,
    );
  }
  const id = `setting:${settingName}`;
  return {
    kind: 'local',
    id,
    wrapAlgorithm: 'A256KW',
    async wrap(dataKey) {
      checkKey(dataKey);
      const c = createCipheriv('id-aes256-wrap', kek, RFC3394_IV);
      return { wrapped: Buffer.concat([c.update(dataKey), c.final()]), keyId: id };
    },
    async unwrap(wrapped, keyId) {
      if (keyId !== id)
        throw new Error(
          `the data key was wrapped with ${keyId}, but the local key is ${id}. Fix: set ${keyId.replace(/^setting:/, '')} to the key used when the backup was made`,
        );
      try {
        const d = createDecipheriv('id-aes256-wrap', kek, RFC3394_IV);
        return Buffer.concat([d.update(wrapped), d.final()]);
      } catch {
        throw new DecryptionError(`cannot unwrap the data key with ${id}: it is not the key the backup was made with`);
      }
    },
  };
}

/** key.json: the wrapped data key of a backup. Contains no secret in clear. */
export interface KeyDocument {
  format: 'aksops-key/v1';
  algorithm: 'AES-256-GCM';
  kek: { kind: KeyWrapper['kind']; id: string; wrapAlgorithm: string };
  wrappedKey: string;
}

export async function newKeyDocument(wrapper: KeyWrapper): Promise<{ doc: KeyDocument; dataKey: Buffer }> {
  const dataKey = newDataKey();
  const { wrapped, keyId } = await wrapper.wrap(dataKey);
  return {
    doc: {
      format: 'aksops-key/v1',
      algorithm: 'AES-256-GCM',
      kek: { kind: wrapper.kind, id: keyId, wrapAlgorithm: wrapper.wrapAlgorithm },
      wrappedKey: wrapped.toString('base64'),
    },
    dataKey,
  };
}

export async function openKeyDocument(doc: KeyDocument, wrapper: KeyWrapper): Promise<Buffer> {
  if (doc.format !== 'aksops-key/v1') throw new Error('key.json: unknown format');
  if (doc.kek.kind !== wrapper.kind) {
    throw new Error(
      `the backup's data key is wrapped by a ${doc.kek.kind} key (${doc.kek.id}), but a ${wrapper.kind} key is configured. Fix: configure backups.encryption to reach ${doc.kek.id}`,
    );
  }
  const key = await wrapper.unwrap(Buffer.from(doc.wrappedKey, 'base64'), doc.kek.id);
  checkKey(key);
  return key;
}
