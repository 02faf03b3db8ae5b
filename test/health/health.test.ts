// GET /api/health against the real Azurite: a missing ops.yaml, a missing task hub and an
// unreachable storage account each answer 503 naming the check and the fix; all present: 200.
import { HttpRequest, InvocationContext } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import { createHealthHandler } from '../../functions/health.js';
import { loadConfigFile } from '../../src/config/load.js';
import { probeTable } from '../../src/adapters/table-probe.js';
import { freePort } from '../support/net.js';
import { readFileSync } from 'node:fs';
import { hostJsonFor } from '../../src/deploy/host-json.js';

const { connectionString } = inject('azurite');
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ctx = () => new InvocationContext({ functionName: 'health', logHandler: () => {} });
const get = () => new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' });

async function health(env: Record<string, string>, hostJson?: unknown) {
  const handler = createHealthHandler({
    env,
    loadConfig: (p) => loadConfigFile(p),
    probeTable,
    ...(hostJson !== undefined ? { readHostJson: () => hostJson } : {}),
  });
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

  describe('the Durable backend host.json selects, against the app settings', () => {
    const repoHostJson = JSON.parse(readFileSync('host.json', 'utf8')) as Record<string, unknown>;
    const schedulerHostJson = hostJsonFor(repoHostJson, 'DurableTaskScheduler');
    const base = () => ({
      AzureWebJobsStorage: connectionString,
      OPS_CONFIG_PATH: 'examples/ops.yaml',
      AUDIT_TABLE_NAME: `hau${suffix}`,
      TASK_HUB_NAME: `hub3${suffix}`,
    });
    const connection = 'Endpoint=https://s.westus2.durabletask.io;Authentication=ManagedIdentity;ClientID=00000000-0000-0000-0000-000000000001';

    it('on the scheduler, with its connection setting: healthy without task hub tables (the scheduler keeps the hub)', async () => {
      const r = await health({ ...base(), DURABLE_TASK_SCHEDULER_CONNECTION_STRING: connection }, schedulerHostJson);
      expect(r.status).toBe(200);
      expect(r.body.checks.map((c) => c.check)).toEqual(['settings', 'config', 'storage', 'durableBackend']);
      expect(byName(r.body, 'durableBackend').detail).toMatch(/Durable Task Scheduler/);
    });

    it('a scheduler host.json without the connection setting is unhealthy, naming the setting and the fix', async () => {
      const r = await health(base(), schedulerHostJson);
      expect(r.status).toBe(503);
      expect(byName(r.body, 'durableBackend')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('DURABLE_TASK_SCHEDULER_CONNECTION_STRING is not set'),
        fix: expect.stringContaining('durableBackend=DurableTaskScheduler'),
      });
    });

    it('a deployed scheduler with the storage host.json is unhealthy: the orchestrations would run on the storage task hub', async () => {
      const r = await health({ ...base(), DURABLE_TASK_SCHEDULER_CONNECTION_STRING: connection }, repoHostJson);
      expect(r.status).toBe(503);
      expect(byName(r.body, 'durableBackend')).toMatchObject({ status: 'fail', fix: expect.stringContaining('AKSOPS_DURABLE_BACKEND=DurableTaskScheduler') });
      expect(JSON.stringify(r.body)).not.toContain('ClientID=0000');
      // The storage task hub is still checked on the storage backend.
      expect(byName(r.body, 'taskHub').status).toBe('fail');
    });

    it("the repository's host.json with no scheduler setting agrees (Azure Storage)", async () => {
      const r = await health(base(), repoHostJson);
      expect(byName(r.body, 'durableBackend')).toMatchObject({ status: 'ok', detail: expect.stringContaining('Azure Storage') });
    });
  });
});
