// A throw-away self-signed certificate for 127.0.0.1, so fakes can serve HTTPS and clients
// can be made to verify it through the same CA path production uses (kubeconfig
// certificate-authority-data, Azure SDK tlsOptions.ca). Generated once per test process
// with the openssl CLI (Debian package `openssl`); Node has no X.509 writer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM certificate; also the CA clients must trust (it is self-signed). */
  certPem: string;
  keyPem: string;
  /** certPem base64-encoded, as kubeconfig certificate-authority-data carries it. */
  caData: string;
}

const cache = new Map<string, TestCertificate>();

/**
 * A self-signed certificate (also its own CA) for the given subject alternative names; by default
 * 127.0.0.1 and localhost. Cached per name list for the test process.
 */
export function testCertificate(subjectAltNames: string[] = ['IP:127.0.0.1', 'DNS:localhost']): TestCertificate {
  const cacheKey = subjectAltNames.join(',');
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'fake-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '2',
          '-subj',
          '/CN=fake-server',
          '-addext',
          `subjectAltName=${cacheKey}`,
          '-addext',
          'basicConstraints=critical,CA:TRUE',
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      throw new Error(`could not create a test certificate with openssl (${(e as Error).message}). Fix: install openssl (apt-get install openssl)`);
    }
    const certPem = readFileSync(cert, 'utf8');
    const made = { certPem, keyPem: readFileSync(key, 'utf8'), caData: Buffer.from(certPem).toString('base64') };
    cache.set(cacheKey, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
