// GET /api/health against the real Azurite: a missing ops.yaml, a missing task hub and an
// unreachable storage account each answer 503 naming the check and the fix; all present: 200.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import { createHealthHandler } from '../../functions/health.js';
import { loadConfigFile } from '../../src/config/load.js';
import { probeTable } from '../../src/adapters/table-probe.js';
import { freePort } from '../support/net.js';

const { connectionString } = inject('azurite');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ctx = () => new InvocationContext({ functionName: 'health', logHandler: () => {} });
const get = () => new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' });

async function health(env: Record<string, string>) {
  const handler = createHealthHandler({ env, loadConfig: (p) => loadConfigFile(p), probeTable });
  const res = await handler(get(), ctx());
  return { status: res.status, body: res.jsonBody as { healthy: boolean; checks: { check: string; status: string; detail: string; fix?: string }[] } };
}
type Check = { check: string; status: string; detail: string; fix?: string };
const byName = (b: { checks: Check[] }, n: string): Check => b.checks.find((c) => c.check === n)!;

describe('GET /api/health', () => {
  it('names a missing ops.yaml and the fix', async () => {
    const r = await health({
      AzureWebJobsStorage: connectionString,
      OPS_CONFIG_PATH: 'no/such/ops.yaml',
      AUDIT_TABLE_NAME: `hau${suffix}`,
      TASK_HUB_NAME: `hub1${suffix}`,
    });
    expect(r.status).toBe(503);
    expect(r.body.healthy).toBe(false);
    expect(byName(r.body, 'config')).toMatchObject({ status: 'fail' });
    expect(byName(r.body, 'config').detail).toMatch(/no\/such\/ops\.yaml.*ENOENT/s);
    expect(byName(r.body, 'config').fix).toMatch(/ops\.yaml.*redeploy/);
    expect(byName(r.body, 'storage').status).toBe('ok');
  });

  it('names an invalid config', async () => {
    const r = await health({
      AzureWebJobsStorage: connectionString,
      OPS_CONFIG_PATH: 'package.json',
      AUDIT_TABLE_NAME: `hau${suffix}`,
      TASK_HUB_NAME: `hub1${suffix}`,
    });
    expect(byName(r.body, 'config').status).toBe('fail');
    expect(byName(r.body, 'config').detail).toMatch(/package\.json: \d+ problem/);
  });

  it('is unhealthy until the task hub exists, then healthy', async () => {
    const hub = `hub2${suffix}`;
    const env = { AzureWebJobsStorage: connectionString, OPS_CONFIG_PATH: 'examples/ops.yaml', AUDIT_TABLE_NAME: `hau${suffix}`, TASK_HUB_NAME: hub };
    const before = await health(env);
    expect(before.status).toBe(503);
    expect(byName(before.body, 'taskHub')).toMatchObject({ status: 'fail', detail: `task hub '${hub}' is missing ${hub}Instances, ${hub}History` });
    expect(byName(before.body, 'config').status).toBe('ok');
    for (const t of [`${hub}Instances`, `${hub}History`])
      await TableClient.fromConnectionString(connectionString, t, { allowInsecureConnection: true }).createTable();
    const after = await health(env);
    expect(after.status).toBe(200);
    expect(after.body.healthy).toBe(true);
    expect(after.body.checks.map((c) => c.check)).toEqual(['settings', 'config', 'storage', 'taskHub']);
  });

  it('names unreachable storage without the account key', async () => {
    const key = /AccountKey=([^;]+)/.exec(connectionString)![1]!;
    const port = await freePort();
    const dead = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const r = await health({ AzureWebJobsStorage: dead, OPS_CONFIG_PATH: 'examples/ops.yaml', AUDIT_TABLE_NAME: `hdead${suffix}` });
    expect(r.status).toBe(503);
    expect(byName(r.body, 'storage').status).toBe('fail');
    expect(byName(r.body, 'storage').fix).toMatch(/AzureWebJobsStorage/);
    expect(JSON.stringify(r.body)).not.toContain(key);
  });

  it('names a bad app setting', async () => {
    const r = await health({ OPS_PAUSED: 'maybe' });
    expect(r.body.checks).toEqual([expect.objectContaining({ check: 'settings', status: 'fail', detail: expect.stringMatching(/OPS_PAUSED="maybe"/) })]);
  });
});
