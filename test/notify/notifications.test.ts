// Teams and Slack notifications against a local HTTP receiver: the payloads (Adaptive Card in a
// message envelope; Slack blocks), links to the run, retries (5xx, 429 with Retry-After),
// timeouts, a receiver that keeps failing does not fail the run, and nothing anyone can read
// (received bodies, logs, delivery reports, audit rows, the orchestration's history, inputs,
// outputs and custom status) contains the webhook URL or its secret path.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { deliverNotification } from '../../src/notify/deliver.js';
import { notifyActivity } from '../../src/notify/activity.js';
import { postJson } from '../../src/notify/sender.js';
import type { NotifyInput } from '../../src/domain/types.js';
import { newWorld, remediationInput, activitiesFor } from '../support/replay-remediation-world.js';
import { createReplayHarness, when } from '../support/replay-harness.js';
import { remediationOrchestrator } from '../../orchestrations/remediation.js';
import { guardEntity } from '../../orchestrations/guard-entity.js';

interface Received {
  path: string;
  body: unknown;
  raw: string;
}

const TEAMS_SECRET = 'c0ffee00-1111-2222-3333-444455556666@tenant/IncomingWebhook/9f8e7d6c5b4a39281706f5e4d3c2b1a0/sig-Zm9vYmFyc2VjcmV0';
const SLACK_SECRET = 'T0SECRET/B0SECRET/xoxSlackSecretToken123';
let server: Server;
let base = '';
const received: Received[] = [];
let behaviour: (path: string, n: number) => { status: number; headers?: Record<string, string>; hang?: boolean } = () => ({ status: 200 });
const counts = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      received.push({ path, raw, body: JSON.parse(raw) as unknown });
      const b = behaviour(path, n);
      if (b.hang) return; // never answers
      res.writeHead(b.status, { 'content-type': 'text/plain', ...(b.headers ?? {}) });
      res.end(b.status === 200 ? (path.includes('services') ? 'ok' : '1') : 'error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  received.length = 0;
  counts.clear();
  behaviour = () => ({ status: 200 });
});

const CONFIG = parseConfig(`
version: 1
clusters: [{ name: aks-prod, kubeContext: prod }]
notifications:
  - { name: oncall-teams, type: teams, urlSetting: TEAMS_WEBHOOK_URL }
  - { name: oncall-slack, type: slack, urlSetting: SLACK_WEBHOOK_URL }
  - { name: managers, type: slack, urlSetting: MANAGERS_SLACK_URL, events: [escalation] }
`);

const secrets = (): Record<string, string> => ({
  TEAMS_WEBHOOK_URL: `${base}/webhookb2/${TEAMS_SECRET}`,
  SLACK_WEBHOOK_URL: `${base}/services/${SLACK_SECRET}`,
  MANAGERS_SLACK_URL: `${base}/services/MANAGERS/${SLACK_SECRET}`,
});

const approval: NotifyInput = {
  id: 'run-1:approval-request',
  kind: 'approval-request',
  at: '2025-03-01T10:00:00Z',
  instanceId: 'run-0123456789abcdef0123456789abcdef',
  rule: 'manual',
  runbook: 'drain-node',
  target: 'aks-prod/_/Node/aks-compute-1-vmss000001',
  fingerprint: '',
  reason: 'approval',
  detail: 'approval needed (runbook drain-node requires approval)',
  severity: 'warning',
  plan: { summary: 'drain node aks-compute-1-vmss000001: evict 3 pods', steps: ['cordon node', 'evict 3 pods <b>respecting</b> PDBs'] },
  deadline: '2025-03-01T10:30:00Z',
};

const fast = { attempts: 3, backoffMs: 1, maxDelayMs: 20, timeoutMs: 300 };

describe('notification payloads', () => {
  it('Teams gets an Adaptive Card in a message envelope; Slack gets blocks; both link to the run and the approve/reject pages', async () => {
    const logs: string[] = [];
    const reports = await deliverNotification(
      { config: CONFIG, secret: (n) => secrets()[n], publicBaseUrl: 'https://aksops.example', send: fast, log: (_l, m) => logs.push(m) },
      approval,
    );
    expect(reports.map((r) => [r.target, r.ok])).toEqual([
      ['oncall-teams', true],
      ['oncall-slack', true],
    ]);
    const teams = received.find((r) => r.path.startsWith('/webhookb2/'))!.body as {
      type: string;
      attachments: Array<{
        contentType: string;
        contentUrl: null;
        content: {
          type: string;
          version: string;
          body: Array<{ type: string; text?: string; facts?: unknown[] }>;
          actions: Array<{ type: string; title: string; url: string }>;
        };
      }>;
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]).toMatchObject({
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' },
    });
    const card = teams.attachments[0]!.content;
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      text: 'Approval needed: drain-node on aks-prod/_/Node/aks-compute-1-vmss000001',
      color: 'Warning',
    });
    expect(card.body.some((b) => b.type === 'FactSet')).toBe(true);
    const run = 'https://aksops.example/api/runbooks/runs/run-0123456789abcdef0123456789abcdef';
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Approve', url: `${run}/approve` },
      { type: 'Action.OpenUrl', title: 'Reject', url: `${run}/reject` },
      { type: 'Action.OpenUrl', title: 'Run status', url: run },
    ]);
    const slack = received.find((r) => r.path.startsWith('/services/T0'))!.body as {
      text: string;
      blocks: Array<{ type: string; elements?: Array<{ url: string; style?: string }>; text?: { text: string } }>;
    };
    expect(slack.text).toMatch(/^Approval needed: drain-node/);
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'actions']);
    expect(slack.blocks.at(-1)!.elements!.map((e) => [e.url, e.style])).toEqual([
      [`${run}/approve`, 'primary'],
      [`${run}/reject`, 'danger'],
      [run, undefined],
    ]);
    // Slack mrkdwn escaped: no injected markup.
    expect(JSON.stringify(slack)).toContain('&lt;b&gt;respecting&lt;/b&gt;');
    expect(logs.join('\n')).toMatch(/to oncall-teams \(teams\): delivered \(HTTP 200\)/);
  });

  it('an escalation also goes to targets that only want escalations; a rule can narrow the targets', async () => {
    const esc: NotifyInput = {
      ...approval,
      id: 'run-1:escalation:ineffective',
      kind: 'escalation',
      reason: 'ineffective',
      detail: 'the alert is still firing',
      severity: 'critical',
      targets: ['oncall-slack', 'managers'],
    };
    const reports = await deliverNotification({ config: CONFIG, secret: (n) => secrets()[n], publicBaseUrl: undefined, send: fast }, esc);
    expect(reports.map((r) => r.target)).toEqual(['oncall-slack', 'managers']);
    const slack = received[0]!.body as { blocks: Array<{ type: string }>; text: string };
    expect(slack.text).toMatch(/^Escalation: drain-node: ineffective/);
    expect(slack.blocks.some((b) => b.type === 'actions')).toBe(false); // no base URL: no links (the text names the CLI)
  });
});

describe('delivery', () => {
  it('retries 5xx and honours 429 Retry-After, then delivers', async () => {
    behaviour = (_p, n) => (n === 1 ? { status: 503 } : n === 2 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 });
    const r = await postJson(`${base}/services/${SLACK_SECRET}`, { text: 'x' }, fast);
    expect(r).toEqual({ ok: true, status: 200, attempts: 3 });
  });

  it('does not retry a final 4xx, and gives up after the attempts on a receiver that keeps failing or hangs', async () => {
    behaviour = () => ({ status: 404 });
    expect(await postJson(`${base}/services/${SLACK_SECRET}`, {}, fast)).toMatchObject({ ok: false, status: 404, attempts: 1 });
    behaviour = () => ({ status: 500 });
    expect(await postJson(`${base}/services/${SLACK_SECRET}`, {}, fast)).toMatchObject({ ok: false, status: 500, attempts: 3 });
    behaviour = () => ({ status: 200, hang: true });
    const hung = await postJson(`${base}/services/${SLACK_SECRET}`, {}, fast);
    expect(hung).toMatchObject({ ok: false, attempts: 3, error: 'timed out after 300 ms' });
    expect(await postJson('http://127.0.0.1:1/x', {}, fast)).toMatchObject({ ok: false, error: expect.stringMatching(/^transport error/) });
  });

  it('a missing app setting is reported, not thrown', async () => {
    const reports = await deliverNotification({ config: CONFIG, secret: () => undefined, publicBaseUrl: undefined, send: fast }, approval);
    expect(reports.map((r) => r.error)).toEqual(['app setting TEAMS_WEBHOOK_URL is not set', 'app setting SLACK_WEBHOOK_URL is not set']);
  });
});

describe('a run whose receivers fail, and the secret scan', () => {
  it('completes with the same outcome, and no body, log, report, audit row or history holds a webhook URL or its secret', async () => {
    behaviour = (path) => (path.includes('webhookb2') ? { status: 500 } : { status: 200, hang: false });
    const settings = readSettings({
      AzureWebJobsStorage: inject('azurite').connectionString,
      AUDIT_TABLE_NAME: `notif${Math.random().toString(36).slice(2, 7)}`,
    });
    const audit = AuditStore.fromSettings(settings);
    const logs: string[] = [];
    const reports: unknown[] = [];
    const world = newWorld();
    world.verifyAlert = 'firing'; // ineffective -> escalation
    const input = remediationInput({ approval: { required: true, reason: 'rule requires approval', timeoutSeconds: 600 } });
    const activities = {
      ...activitiesFor(world),
      notify: async (n: NotifyInput) => {
        const r = await notifyActivity(
          { audit, config: CONFIG, secret: (name) => secrets()[name], publicBaseUrl: 'https://aksops.example', send: fast, log: (_l, m) => logs.push(m) },
          n,
        );
        reports.push(r);
        return r;
      },
      writeAudit: (r: never) => audit.write([r]),
    };
    const h = createReplayHarness({
      orchestrator: remediationOrchestrator,
      name: 'remediation',
      instanceId: input.instanceId,
      input,
      activities,
      entities: { guard: guardEntity },
      events: [{ name: 'approval', input: { decision: 'approve', by: 'alice@contoso.com' }, when: when.idleIn('awaiting-approval') }],
    });
    const result = await h.run();
    expect(result.status).toBe('completed');
    expect((result.output as { outcome: string }).outcome).toBe('ineffective');
    // Teams failed every time (3 attempts per message), Slack got every message.
    expect(received.filter((r) => r.path.includes('webhookb2')).length).toBe(3 * 2);
    expect(received.filter((r) => r.path.startsWith('/services/T0')).length).toBe(2);
    expect(received.filter((r) => r.path.startsWith('/services/MANAGERS')).length).toBe(1);
    expect(logs.some((l) => /to oncall-teams \(teams\): not delivered after 3 attempts: HTTP 500/.test(l))).toBe(true);

    const rows = (await audit.query({ since: '2024-12-31T00:00:00Z', until: '2025-01-02T00:00:00Z', limit: 100 })).items;
    expect(rows.map((r) => r.kind).sort()).toEqual(['action', 'approval', 'result', 'result', 'result']);
    const everything = JSON.stringify({
      bodies: received.map((r) => r.raw),
      logs,
      reports,
      rows,
      history: h.store.history,
      status: h.store.customStatusLog,
      output: result.output,
    });
    for (const s of [
      ...Object.values(secrets()),
      TEAMS_SECRET,
      SLACK_SECRET,
      'sig-Zm9vYmFyc2VjcmV0',
      'xoxSlackSecretToken123',
      '9f8e7d6c5b4a39281706f5e4d3c2b1a0',
      base,
    ]) {
      expect(everything.includes(s), `found ${s}`).toBe(false);
    }
  });

  it('a notify activity that throws (its audit write failed) does not fail the run', async () => {
    const world = newWorld();
    world.verifyAlert = 'firing';
    const input = remediationInput();
    const h = createReplayHarness({
      orchestrator: remediationOrchestrator,
      name: 'remediation',
      instanceId: input.instanceId,
      input,
      activities: {
        ...activitiesFor(world),
        notify: () => {
          throw new Error('audit table unavailable (503)');
        },
      },
      entities: { guard: guardEntity },
    });
    const r = await h.run();
    expect(r.status).toBe('completed');
    expect((r.output as { outcome: string }).outcome).toBe('ineffective');
    expect(world.mutations).toBe(1);
  });
});
