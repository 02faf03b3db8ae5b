// The second factor after the function key: the bearer token or basic-auth credential that
// Alertmanager's webhook http_config can send (authorization / basic_auth). Compared in
// constant time over SHA-256 digests so neither content nor length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface WebhookCredentials {
  token?: string;
  username?: string;
  password?: string;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** null when the request may pass, else the reason (safe to return: never contains the credential). */
export function checkWebhookAuth(authorization: string | null | undefined, creds: WebhookCredentials): string | null {
  const wantsToken = !!creds.token;
  const wantsBasic = !!creds.username || !!creds.password;
  if (!wantsToken && !wantsBasic) return null;
  const header = authorization ?? '';
  const space = header.indexOf(' ');
  const scheme = space > 0 ? header.slice(0, space).toLowerCase() : '';
  const value = space > 0 ? header.slice(space + 1).trim() : '';
  if (wantsToken && scheme === 'bearer' && sameSecret(value, creds.token!)) return null;
  // Both halves are required (readSettings refuses one alone); never compare against an empty password.
  if (wantsBasic && scheme === 'basic' && creds.username && creds.password) {
    let decoded = '';
    try {
      decoded = Buffer.from(value, 'base64').toString('utf8');
    } catch {
      decoded = '';
    }
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
    // Evaluate both comparisons always: no early exit on the user name.
    const okUser = sameSecret(user, creds.username ?? '');
    const okPass = sameSecret(pass, creds.password ?? '');
    if (okUser && okPass) return null;
  }
  if (!header) return `missing Authorization header; configure Alertmanager's webhook http_config with ${wantsToken ? 'authorization (Bearer)' : 'basic_auth'}`;
  return 'the Authorization header does not carry the expected credential';
}
