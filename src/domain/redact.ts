// The last line of defence for secrets in free text (audit rows, errors, notifications,
// custom status): secret-looking values become [REDACTED]. Callers pass references and fetch
// values inside activities; this catches what slips through. Pure, no I/O.

export const REDACTED = '[REDACTED]';

// A key whose value is secret: ends in one of these words (case-insensitive), e.g. password,
// DB_PASSWORD, apiKey, AccountKey, client_secret, x-api-key, sig, SharedAccessSignature.
const SECRET_KEY =
  '[A-Za-z0-9_.-]*?(?:password|passwd|pwd|passphrase|token|secret|key|sig|signature|credential|credentials|connectionstring|connection_string|authorization|auth|cookie)';
// key=value, key: value, "key": "value", key='value' ... value quoted or up to a delimiter.
const KEY_VALUE = new RegExp(`(["']?)\\b(${SECRET_KEY})\\1(\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|[^\\s"',;&}\\]]+)`, 'gi');
// An Authorization header's value, with or without its scheme word.
const AUTH_HEADER =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Digest|SharedKey|SharedKeyLite|SharedAccessSignature|Negotiate|Token)\s+)?[^\s"',;]+/gi;
// A bearer token anywhere else (a word "Bearer" followed by a token-looking string).
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):([^\s/@]+)@/gi;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/**
 * Replaces secret-looking values in free text with [REDACTED]: values of keys that look like
 * secrets (password=, token:, "secret": "...", AccountKey=, sig=, Authorization: ...), bearer /
 * basic credentials, JWTs, passwords in URLs and PEM private keys. Errs on the side of redacting.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM, REDACTED)
    .replace(AUTH_HEADER, (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(URL_USERINFO, (_m, head: string) => `${head}:${REDACTED}@`)
    .replace(KEY_VALUE, (m, q: string, key: string, sep: string, value: string) => {
      if (value.startsWith(REDACTED) || /^(Bearer|Basic|Digest|SharedKey|SharedKeyLite|SharedAccessSignature|Negotiate|Token)$/i.test(value)) return m;
      const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      return `${q}${key}${q}${sep}${quote}${REDACTED}${quote}`;
    });
}
