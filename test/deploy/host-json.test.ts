// host.json per Durable backend (src/deploy/host-json.ts) and the package step that writes it
// (scripts/host-json.mjs, run by bicep/hooks/prepackage.sh). Needs `npm run build` for the script.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GA_BUNDLE, hostJsonFor, parseDurableBackend, PREVIEW_BUNDLE, renderHostJson, SCHEDULER_CONNECTION_SETTING } from '../../src/deploy/host-json.js';

const root = resolve(import.meta.dirname, '..', '..');
const committed = readFileSync(join(root, 'host.json'), 'utf8');
const base = JSON.parse(committed) as Record<string, unknown>;

interface HostJson {
  extensionBundle: { id: string; version: string };
  extensions: { durableTask: { hubName: string; storageProvider?: { type: string; connectionStringName: string } }; http: unknown };
  logging: unknown;
}

describe('hostJsonFor', () => {
  it('keeps the repository host.json as the AzureStorage form (a DurableTaskScheduler host.json committed by mistake fails here)', () => {
    expect(renderHostJson(hostJsonFor(base, 'AzureStorage'))).toBe(committed);
    const host = base as unknown as HostJson;
    expect(host.extensionBundle.id).toBe(GA_BUNDLE);
    expect(host.extensions.durableTask.storageProvider).toBeUndefined();
  });

  it('adds the azureManaged provider, its connection setting and the Preview bundle for DurableTaskScheduler, and keeps the rest', () => {
    const host = hostJsonFor(base, 'DurableTaskScheduler') as unknown as HostJson;
    expect(host.extensions.durableTask).toEqual({
      hubName: '%TASK_HUB_NAME%',
      storageProvider: { type: 'azureManaged', connectionStringName: SCHEDULER_CONNECTION_SETTING },
    });
    expect(host.extensionBundle).toEqual({ id: PREVIEW_BUNDLE, version: (base as unknown as HostJson).extensionBundle.version });
    expect(host.logging).toEqual((base as unknown as HostJson).logging);
    expect(host.extensions.http).toEqual((base as unknown as HostJson).extensions.http);
    // The input is not modified.
    expect(renderHostJson(base)).toBe(committed);
  });

  it('switches back: AzureStorage after DurableTaskScheduler gives the repository form again', () => {
    expect(renderHostJson(hostJsonFor(hostJsonFor(base, 'DurableTaskScheduler'), 'AzureStorage'))).toBe(committed);
  });

  it('keeps Azure Storage provider settings someone added by hand', () => {
    const tuned = structuredClone(base) as unknown as HostJson & { extensions: { durableTask: { storageProvider: Record<string, unknown> } } };
    tuned.extensions.durableTask.storageProvider = { controlQueueBatchSize: 16 } as never;
    const out = hostJsonFor(tuned as unknown as Record<string, unknown>, 'AzureStorage') as unknown as HostJson;
    expect(out.extensions.durableTask.storageProvider).toEqual({ controlQueueBatchSize: 16 });
  });

  it('refuses a host.json without an extension bundle version, naming the field', () => {
    const broken = structuredClone(base) as { extensionBundle: Record<string, unknown> };
    delete broken.extensionBundle.version;
    expect(() => hostJsonFor(broken, 'DurableTaskScheduler')).toThrow(/extensionBundle\.version/);
  });
});

describe('parseDurableBackend', () => {
  it('defaults to AzureStorage and accepts the two values of main.bicep durableBackend', () => {
    expect(parseDurableBackend(undefined)).toBe('AzureStorage');
    expect(parseDurableBackend('')).toBe('AzureStorage');
    expect(parseDurableBackend('DurableTaskScheduler')).toBe('DurableTaskScheduler');
    expect(parseDurableBackend(' AzureStorage ')).toBe('AzureStorage');
  });

  it('refuses anything else with the variable, the allowed values and the fix', () => {
    expect(() => parseDurableBackend('durabletaskscheduler')).toThrow(
      /AKSOPS_DURABLE_BACKEND is "durabletaskscheduler", expected AzureStorage or DurableTaskScheduler.*Fix: azd env set AKSOPS_DURABLE_BACKEND/,
    );
  });
});

describe('scripts/host-json.mjs (the prepackage step)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'host-json-'));
  const file = join(dir, 'host.json');
  copyFileSync(join(root, 'host.json'), file);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (backend: string | undefined) =>
    spawnSync('node', [join(root, 'scripts/host-json.mjs'), file], {
      encoding: 'utf8',
      env: { ...process.env, AKSOPS_DURABLE_BACKEND: backend ?? '' },
    });

  it('rewrites host.json for DurableTaskScheduler and back, and refuses an unknown backend without touching the file', () => {
    const dts = run('DurableTaskScheduler');
    expect(dts.status, dts.stderr).toBe(0);
    expect(dts.stdout).toContain('DurableTaskScheduler backend (rewritten)');
    expect(readFileSync(file, 'utf8')).toBe(renderHostJson(hostJsonFor(base, 'DurableTaskScheduler')));

    const bad = run('Netherite');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('AKSOPS_DURABLE_BACKEND is "Netherite"');
    expect(readFileSync(file, 'utf8')).toBe(renderHostJson(hostJsonFor(base, 'DurableTaskScheduler')));

    const back = run(undefined);
    expect(back.status, back.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(committed);
  });
});
