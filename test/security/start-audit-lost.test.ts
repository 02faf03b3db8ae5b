// Attack (#12 item 7): a transient failure after a start (here: the audit write) answers 503;
// Alertmanager's retry finds the instance running and used to record only "duplicate", so the
// decision that started the run was never audited. Now every delivery that starts, or finds
// started, an occurrence (re)writes one start record with a stable ID and time: idempotent and
// complete on retry. Real DurableClient against the fake Durable extension; real Azurite table.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { durableRemediationInstances } from '../../functions/lib/durable-instances.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { loadConfigFile } from '../../src/config/load.js';
import { readSettings } from '../../src/config/settings.js';
import { handleAlertmanagerWebhook } from '../../src/intake/webhook.js';
import type { AuditRecord } from '../../src/domain/types.js';

let durable: FakeDurableExtension;
const settings = () => readSettings({ AzureWebJobsStorage: inject('azurite').connectionString, AUDIT_TABLE_NAME: `secstart${process.pid}` });
const config = loadConfigFile('examples/ops.yaml', process.cwd());

beforeAll(async () => {
  durable = await new FakeDurableExtension().start();
});
afterAll(async () => durable.stop());

async function deliver(body: string, audit: { write(r: AuditRecord[]): Promise<void> }) {
  const { client } = durable.invocation('alertmanagerWebhook');
  let n = 0;
  return handleAlertmanagerWebhook(
    { authorization: null, contentLength: null, readBody: async () => body },
    {
      config: () => config,
      settings: settings(),
      instances: durableRemediationInstances(client),
      audit,
      pause: async () => ({ paused: false }),
      now: () => new Date(),
      deliveryId: () => `delivery-${Date.now()}-${n++}`,
    },
  );
}

describe('attack: a transient failure loses the start audit record', () => {
  it('the retry after a failed audit write still records the start, once, with a stable ID', async () => {
    const p = JSON.parse(readFileSync('test/fixtures/alertmanager/crashloop-group.json', 'utf8')) as { alerts: Record<string, unknown>[] };
    p.alerts = [{ ...p.alerts[0]!, fingerprint: 'feedfacecafe0777' }];
    const body = JSON.stringify(p);
    const store = AuditStore.fromSettings(settings());
    let failOnce = true;
    const flaky = {
      write: async (r: AuditRecord[]) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('table unavailable');
        }
        await store.write(r);
      },
    };
    const first = await deliver(body, flaky);
    expect(first.status).toBe(503);
    expect(durable.starts.length).toBe(1);
    const retry = await deliver(body, flaky);
    expect(retry.status).toBe(200);
    expect((retry.body['decisions'] as { decision: string }[])[0]!.decision).toBe('duplicate');
    await deliver(body, flaky);
    const instanceId = durable.starts[0]!.instanceId;
    const rows = (await store.query({ since: '30d', until: new Date(Date.now() + 86400_000).toISOString(), instanceId, limit: 100 })).items;
    const starts = rows.filter((r) => r.decision === 'start');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ kind: 'decision', actor: 'alertmanager', proof: 'function-key', instanceId, result: 'started' });
    expect(rows.filter((r) => r.decision === 'duplicate')).toHaveLength(2);
  });
});
