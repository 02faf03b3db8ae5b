// The Durable backend as a deployment choice (docs/scaling-out.md): main.bicep's durableBackend and
// taskHubPartitionCount, evaluated both ways through the scheduler module, its role assignment, the
// app settings, and the host.json the package ships (src/deploy/host-json.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostJsonFor, SCHEDULER_CONNECTION_SETTING } from '../../src/deploy/host-json.js';
import { decoratorArg, evaluate, getPath, isKnown, type BicepModel, type EvalScope, type Value } from './model.js';
import { loadProject, repoRoot } from './project.js';

const project = await loadProject();
const main = project.model('main.bicep');
const fa = project.model('modules/functionapp.bicep');
const dts = project.model('modules/durable-task-scheduler.bicep');
const roles = project.model('modules/roles.bicep');
const BACKENDS = ['AzureStorage', 'DurableTaskScheduler'] as const;

function scope(model: BicepModel, values: Record<string, Value>): EvalScope {
  return { model, paramValues: new Map(Object.entries(values)) };
}

function moduleCall(path: string) {
  const found = main.modules.filter((m) => m.path === path);
  if (found.length !== 1) throw new Error(`main.bicep calls ${path} ${found.length} times`);
  return found[0]!;
}

function param(m: BicepModel, name: string) {
  const p = m.params.get(name);
  if (!p) throw new Error(`${m.path} has no parameter ${name}`);
  return p;
}

/** The app settings the backend choice adds, as functionapp.bicep computes them for `backend`. */
function backendSettings(backend: string): Record<string, Value> {
  const v = evaluate(fa.vars.get('durableBackendSettings')?.value, scope(fa, { durableBackend: backend }));
  if (!v || typeof v !== 'object' || Array.isArray(v) || !isKnown(v)) throw new Error(`durableBackendSettings did not evaluate for ${backend}`);
  return v;
}

describe('durableBackend and taskHubPartitionCount parameters', () => {
  it('offer AzureStorage (default) or DurableTaskScheduler, and 1-16 partitions (default 4)', () => {
    const backend = param(main, 'durableBackend');
    expect(evaluate(backend.defaultValue, { model: main })).toBe('AzureStorage');
    expect(evaluate(decoratorArg(backend, 'allowed'), { model: main })).toEqual([...BACKENDS]);
    const partitions = param(main, 'taskHubPartitionCount');
    expect(evaluate(partitions.defaultValue, { model: main })).toBe(4);
    expect(evaluate(decoratorArg(partitions, 'minValue'), { model: main })).toBe(1);
    expect(evaluate(decoratorArg(partitions, 'maxValue'), { model: main })).toBe(16);
    // Reaches the app through the module, under the same names.
    const app = moduleCall('modules/functionapp.bicep');
    for (const p of ['durableBackend', 'taskHubPartitionCount']) expect(getPath(app.body, `params.${p}`)?.text, p).toBe(p);
    expect(evaluate(decoratorArg(param(fa, 'durableBackend'), 'allowed'), { model: fa })).toEqual([...BACKENDS]);
  });

  it('are read from AKSOPS_DURABLE_BACKEND in every parameter file, the variable the package step reads too', () => {
    for (const file of ['main.bicepparam', 'env/dev.bicepparam', 'env/staging.bicepparam', 'env/prod.bicepparam']) {
      expect(project.model(file).assignments.get('durableBackend')?.value.text, file).toBe("readEnvironmentVariable('AKSOPS_DURABLE_BACKEND', 'AzureStorage')");
    }
    const pf = project.model('main.bicepparam');
    expect(pf.assignments.get('taskHubPartitionCount')?.value.text).toContain("readEnvironmentVariable('AKSOPS_TASK_HUB_PARTITION_COUNT', '4')");
    expect(readFileSync(join(repoRoot, 'bicep/hooks/prepackage.sh'), 'utf8')).toMatch(/^node scripts\/host-json\.mjs host\.json$/m);
  });
});

describe('AzureStorage backend', () => {
  it('creates no scheduler and no role on one, and sets the partition count through the host.json override setting', () => {
    expect(evaluate(moduleCall('modules/durable-task-scheduler.bicep').condition, scope(main, { durableBackend: 'AzureStorage' }))).toBe(false);
    const rolesCall = moduleCall('modules/roles.bicep');
    expect(evaluate(getPath(rolesCall.body, 'params.durableTaskSchedulerName'), scope(main, { durableBackend: 'AzureStorage' }))).toBe('');
    const endpoint = getPath(moduleCall('modules/functionapp.bicep').body, 'params.durableTaskSchedulerEndpoint');
    expect(evaluate(endpoint, scope(main, { durableBackend: 'AzureStorage' }))).toBe('');

    const settings = backendSettings('AzureStorage');
    const key = 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount';
    expect(Object.keys(settings)).toEqual([key]);
    expect(fa.vars.get('durableStorageSettings')?.value.text).toContain(`${key}: string(taskHubPartitionCount)`);
    // The override path names host.json's durableTask section (the one hubName lives in).
    const host = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as { extensions: Record<string, unknown> };
    const [, section, sub] = key.split('__');
    expect(Object.keys(host[section as 'extensions'])).toContain(sub);
  });
});

describe('DurableTaskScheduler backend', () => {
  it('creates the scheduler and a task hub named like TASK_HUB_NAME', () => {
    const call = moduleCall('modules/durable-task-scheduler.bicep');
    expect(evaluate(call.condition, scope(main, { durableBackend: 'DurableTaskScheduler' }))).toBe(true);
    expect(getPath(call.body, 'params.taskHubName')?.text).toBe('taskHubName');
    expect(getPath(moduleCall('modules/functionapp.bicep').body, 'params.taskHubName')?.text).toBe('taskHubName');
    const scheduler = dts.resources.find((r) => r.fullType === 'Microsoft.DurableTask/schedulers' && !r.existing);
    const hub = dts.resources.find((r) => r.fullType === 'Microsoft.DurableTask/schedulers/taskHubs');
    expect(scheduler?.apiVersion).toBe('2026-02-01');
    expect(hub?.parent?.name).toBe('scheduler');
    expect(getPath(hub?.body, 'name')?.text).toBe('taskHubName');
  });

  it('sends the API-required ipAllowlist (never empty) and the SKU, with capacity only for Dedicated', () => {
    expect(evaluate(param(main, 'durableTaskSchedulerIpAllowlist').defaultValue, { model: main })).toEqual(['0.0.0.0/0']);
    expect(evaluate(decoratorArg(param(dts, 'ipAllowlist'), 'minLength'), { model: dts })).toBe(1);
    expect(evaluate(decoratorArg(param(main, 'durableTaskSchedulerIpAllowlist'), 'minLength'), { model: main })).toBe(1);
    const sku = dts.vars.get('sku')?.value;
    expect(evaluate(sku, scope(dts, { skuName: 'Consumption', skuCapacity: 3 }))).toEqual({ name: 'Consumption' });
    expect(evaluate(sku, scope(dts, { skuName: 'Dedicated', skuCapacity: 3 }))).toEqual({ name: 'Dedicated', capacity: 3 });
    expect(evaluate(param(main, 'durableTaskSchedulerSku').defaultValue, { model: main })).toBe('Consumption');
  });

  it('grants the app identity Durable Task Data Contributor on the scheduler, only when there is one', () => {
    const rolesCall = moduleCall('modules/roles.bicep');
    expect(evaluate(getPath(rolesCall.body, 'params.durableTaskSchedulerName'), scope(main, { durableBackend: 'DurableTaskScheduler' }))).not.toBe('');
    const assignment = roles.resources.find((r) => r.name === 'appDurableTaskScheduler');
    expect(assignment?.condition?.text).toBe('(!empty(durableTaskSchedulerName))');
    expect(getPath(assignment?.body, 'scope')?.text).toBe('durableTaskScheduler');
    expect(evaluate(roles.vars.get('builtInRoles')?.value, { model: roles })).toMatchObject({ durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402' });
  });

  it('sets the identity-based connection that the shipped host.json names, and no partition override', () => {
    const settings = backendSettings('DurableTaskScheduler');
    expect(Object.keys(settings)).toEqual([SCHEDULER_CONNECTION_SETTING]);
    expect(fa.vars.get('durableSchedulerSettings')?.value.text).toContain(
      "'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identity.properties.clientId}'",
    );
    const endpoint = getPath(moduleCall('modules/functionapp.bicep').body, 'params.durableTaskSchedulerEndpoint');
    expect(endpoint?.text).toBe("useDurableTaskScheduler ? durableTaskScheduler.outputs.endpoint : ''");
    const host = hostJsonFor(JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as Record<string, unknown>, 'DurableTaskScheduler');
    expect((host.extensions as { durableTask: { storageProvider: { connectionStringName: string } } }).durableTask.storageProvider.connectionStringName).toBe(
      SCHEDULER_CONNECTION_SETTING,
    );
    // The app settings include the backend's settings.
    const appSettings = fa.resources.find((r) => r.fullType === 'Microsoft.Web/sites/config' && getPath(r.body, 'name')?.text === "'appsettings'");
    expect(getPath(appSettings?.body, 'properties')?.text).toContain('durableBackendSettings');
  });
});
