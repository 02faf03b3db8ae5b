import { describe, expect, it } from 'vitest';
import { checkWebhookAuth } from '../../src/intake/auth.js';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('webhook credential check', () => {
  it('passes everything when no credential is configured (the function key still applies)', () => {
    expect(checkWebhookAuth(null, {})).toBeNull();
  });
  it('checks a bearer token', () => {
    const creds = { token: 's3cret-token-value' };
    expect(checkWebhookAuth('Bearer s3cret-token-value', creds)).toBeNull();
    expect(checkWebhookAuth('bearer s3cret-token-value', creds)).toBeNull();
    expect(checkWebhookAuth('Bearer s3cret-token-valu', creds)).not.toBeNull();
    expect(checkWebhookAuth(null, creds)).toMatch(/missing Authorization/);
    expect(checkWebhookAuth('Basic abc', creds)).not.toBeNull();
  });
  it('checks basic auth, user and password both', () => {
    const creds = { username: 'alertmanager', password: 'pw:with:colons' };
    expect(checkWebhookAuth(basic('alertmanager', 'pw:with:colons'), creds)).toBeNull();
    expect(checkWebhookAuth(basic('alertmanager', 'wrong'), creds)).not.toBeNull();
    expect(checkWebhookAuth(basic('other', 'pw:with:colons'), creds)).not.toBeNull();
    expect(checkWebhookAuth('Basic !!!notbase64', creds)).not.toBeNull();
  });
  it('never echoes the credential in its reason', () => {
    const creds = { token: 'TOPSECRET-123' };
    for (const h of [null, 'Bearer TOPSECRET-12', 'Bearer nope']) expect(checkWebhookAuth(h, creds) ?? '').not.toContain('TOPSECRET');
  });
});
