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

let cached: TestCertificate | undefined;

export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'fake-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=fake-server',
          '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-addext', 'basicConstraints=critical,CA:TRUE',
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      throw new Error(`could not create a test certificate with openssl (${(e as Error).message}). Fix: install openssl (apt-get install openssl)`);
    }
    const certPem = readFileSync(cert, 'utf8');
    cached = { certPem, keyPem: readFileSync(key, 'utf8'), caData: Buffer.from(certPem).toString('base64') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
