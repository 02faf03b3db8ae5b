// Email through the real @azure/communication-email SDK against a local HTTPS server that speaks
// the ACS Email API (test/fakes/acs-email.ts): HMAC request signing checked by the server, 202 +
// Operation-Location polling, 429 and 5xx retried by the SDK's pipeline, one email per
// Operation-Id however often a message is re-sent, and the access key in no result or log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { deliverNotification } from '../../src/notify/deliver.js';
import { sendEmail, operationId, type EmailTarget } from '../../src/notify/email.js';
import type { NotifyInput } from '../../src/domain/types.js';
import { startAcsEmail, type AcsEmailServer } from '../fakes/acs-email.js';
import { loopbackAgent } from '../fakes/keyvault-tls.js';

const ACS_KEY = Buffer.from('acs-access-key-0123456789-SECRET-abcdefghijklmnop').toString('base64');
const secrets: Record<string, string> = { ACS_EMAIL_KEY: ACS_KEY };
const secret = (n: string) => secrets[n];
let acs: AcsEmailServer;
const emailDeps = () => ({
  emailClientOptions: { agent: loopbackAgent(), retryOptions: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 } },
  pollIntervalMs: 1,
});

beforeAll(async () => {
  acs = await startAcsEmail(ACS_KEY);
});
afterAll(async () => {
  await acs.close();
});

const target = (over: Partial<EmailTarget> = {}): EmailTarget => ({
  name: 'oncall-email',
  type: 'email',
  endpoint: acs.url,
  sender: 'DoNotReply@ops.example.com',
  to: ['oncall@example.com', 'platform@example.com'],
  keySetting: 'ACS_EMAIL_KEY',
  ...over,
});
const message = { title: 'Backup nightly of ms5-prod failed', text: 'pg_dump exited 1\nCLI: aksops backups list' };

describe('ACS Email through @azure/communication-email', () => {
  it('sends a signed request, follows the operation to Succeeded, and a re-send with the same key is the same operation', async () => {
    const before = acs.sent.length;
    const r = await sendEmail(target(), message, 'digest:2026-12-07:oncall-email', { ...emailDeps(), secret });
    expect(r).toEqual({ ok: true, status: 202, attempts: 1 });
    expect(acs.sent.slice(before)).toEqual([
      {
        operationId: operationId('digest:2026-12-07:oncall-email'),
        from: 'DoNotReply@ops.example.com',
        to: ['oncall@example.com', 'platform@example.com'],
        subject: message.title,
        text: message.text,
      },
    ]);
    const polls = acs.requests.filter((q) => q.method === 'GET' && q.path.startsWith(`/emails/operations/${operationId('digest:2026-12-07:oncall-email')}`));
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(await sendEmail(target(), message, 'digest:2026-12-07:oncall-email', { ...emailDeps(), secret })).toMatchObject({ ok: true });
    expect(acs.sent.length).toBe(before + 1);
  });

  it('429 (Retry-After) and 503 are retried by the SDK; a 503 that persists is reported without the key', async () => {
    const before = acs.sent.length;
    acs.failNext(1, 429);
    acs.failNext(1, 503);
    expect(await sendEmail(target(), message, 'k-retry', { ...emailDeps(), secret })).toMatchObject({ ok: true });
    expect(acs.sent.length).toBe(before + 1);
    acs.failNext(10, 503);
    const r = await sendEmail(target(), message, 'k-down', { ...emailDeps(), secret });
    acs.clearFailures();
    expect(r).toMatchObject({ ok: false, status: 503 });
    expect(r.error).toContain('HTTP 503');
    expect(JSON.stringify(r)).not.toContain(ACS_KEY);
    expect(acs.sent.length).toBe(before + 1);
  });

  it('a wrong key is a 401 (not retried into success), a missing key setting is named, no key in the result', async () => {
    const wrong = Buffer.from('wrong-key-wrong-key-wrong-key').toString('base64');
    const r = await sendEmail(target(), message, 'k-wrong', { ...emailDeps(), secret: () => wrong });
    expect(r).toMatchObject({ ok: false, status: 401 });
    expect(JSON.stringify(r)).not.toContain(wrong);
    expect(await sendEmail(target(), message, 'k', { ...emailDeps(), secret: () => undefined })).toEqual({
      ok: false,
      attempts: 0,
      error: 'app setting ACS_EMAIL_KEY is not set',
    });
    expect(await sendEmail(target({ keySetting: undefined }), message, 'k', { ...emailDeps(), secret })).toMatchObject({
      ok: false,
      error: expect.stringContaining('set notifications[].keySetting or run with a managed identity'),
    });
  });

  it('an email target in ops.yaml receives notifications through deliverNotification; logs and reports carry no key', async () => {
    const yaml = readFileSync('examples/ops.yaml', 'utf8').replace(/endpoint: https:\/\/aksops-acs[^\n]*/, `endpoint: ${acs.url}`);
    const config = parseConfig(yaml, 'ops.yaml');
    expect(config.source.notifications.some((t) => t.type === 'email')).toBe(true);
    const logs: string[] = [];
    const n: NotifyInput = {
      id: 'rem-9:escalation:approval-timeout',
      kind: 'escalation',
      at: '2026-12-05T03:00:00Z',
      instanceId: 'rem-9',
      rule: 'r',
      runbook: 'restart-pod',
      target: 'ms5-prod/backend/Deployment/api',
      fingerprint: 'f',
      reason: 'approval-timeout',
      detail: 'nobody decided',
      targets: ['oncall-email'],
    };
    const before = acs.sent.length;
    const reports = await deliverNotification(
      { config, secret, publicBaseUrl: 'https://aksops.example', email: emailDeps(), log: (_l, m) => void logs.push(m) },
      n,
    );
    expect(reports).toEqual([expect.objectContaining({ target: 'oncall-email', type: 'email', ok: true })]);
    expect(acs.sent.slice(before).map((e) => e.subject)).toEqual([expect.stringContaining('Escalation: restart-pod: approval timeout')]);
    expect(JSON.stringify([reports, logs, acs.sent])).not.toContain(ACS_KEY);
  });
});

describe('config validation of email targets', () => {
  const base = (target: string) => `version: 1\nclusters: [{name: c1, kubeContext: c1}]\nnotifications:\n  - ${target}\n`;
  it.each([
    [
      '{name: e, type: email, endpoint: "http://x.communication.azure.com", sender: ops@example.com, to: [oncall@example.com]}',
      'notifications[0].endpoint',
      'Fix: e.g. https://',
    ],
    [
      '{name: e, type: email, endpoint: "https://x.communication.azure.com", sender: nobody, to: [oncall@example.com]}',
      'notifications[0].sender',
      'Fix: e.g. DoNotReply@',
    ],
    [
      '{name: e, type: email, endpoint: "https://x.communication.azure.com", sender: ops@example.com, to: []}',
      'notifications[0].to',
      'Fix: list at least one recipient',
    ],
    [
      '{name: e, type: email, endpoint: "https://x.communication.azure.com", sender: ops@example.com, to: [oncall@example.com], keySetting: "my-key"}',
      'notifications[0].keySetting',
      'Fix: e.g. ACS_EMAIL_KEY',
    ],
  ])('%s names the field and the fix', (t, field, fix) => {
    let err: Error | undefined;
    try {
      parseConfig(base(t));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain(field);
    expect(err?.message).toContain(fix);
  });

  it('an escalation level at or after approvals.timeout would never page: named with the fix', () => {
    const yaml = `version: 1\nclusters: [{name: c1, kubeContext: c1}]\napprovals: {timeout: 30m}\npaging:\n  receivers: [{name: pd, type: pagerduty, routingKeySetting: PD_KEY}]\n  escalation: [{after: 10m, receivers: [pd]}, {after: 45m, receivers: [pd]}]\n`;
    expect(() => parseConfig(yaml)).toThrow(
      /paging\.escalation\[1\]\.after.*is not before approvals\.timeout \(30m\).*Fix: lower it or raise approvals\.timeout/,
    );
  });
});
