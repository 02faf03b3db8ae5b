// Attack (#12 item 9): with only ALERTMANAGER_WEBHOOK_USERNAME configured, anyone who knows the
// user name posts alerts with an empty password. The configuration is refused at startup, and the
// check itself never accepts a basic credential without a configured password.
import { describe, expect, it } from 'vitest';
import { readSettings, SETTINGS } from '../../src/config/settings.js';
import { checkWebhookAuth } from '../../src/intake/auth.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('attack: basic auth with an empty password', () => {
  it('refuses a username without a password at startup, naming both settings and the fix', () => {
    expect(() => readSettings({ ALERTMANAGER_WEBHOOK_USERNAME: 'alertmanager' })).toThrow(
      /ALERTMANAGER_WEBHOOK_USERNAME is set but ALERTMANAGER_WEBHOOK_PASSWORD is not.*Fix/,
    );
    expect(() => readSettings({ ALERTMANAGER_WEBHOOK_PASSWORD: 'pw' })).toThrow(
      /ALERTMANAGER_WEBHOOK_PASSWORD is set but ALERTMANAGER_WEBHOOK_USERNAME is not/,
    );
    expect(readSettings({ ALERTMANAGER_WEBHOOK_USERNAME: 'am', ALERTMANAGER_WEBHOOK_PASSWORD: 'pw' }).webhookUsername).toBe('am');
  });

  it('never accepts "user:" when no password is configured, even if startup was bypassed', () => {
    expect(checkWebhookAuth(basic('alertmanager', ''), { username: 'alertmanager' })).not.toBeNull();
    expect(checkWebhookAuth(basic('alertmanager', 'right'), { username: 'alertmanager', password: 'right' })).toBeNull();
  });

  it('treats the user name as a setting and the password as a secret', () => {
    expect((SETTINGS.ALERTMANAGER_WEBHOOK_USERNAME as { secret?: boolean }).secret).toBeUndefined();
    expect(SETTINGS.ALERTMANAGER_WEBHOOK_PASSWORD.secret).toBe(true);
  });
});
