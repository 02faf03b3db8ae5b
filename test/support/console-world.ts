// The world the console and the OpenAPI conformance test run against: the app's real HTTP
// handlers (test/support/app-host.ts) over Azurite (audit, control, scaling tables; backup blobs
// written by the real backup engine from the strict fake Kubernetes API) and the fake Durable
// extension (runs, approvals). Nothing is mocked JSON: every page reads what the handlers answer.
// A verification the app starts runs for real: the fake extension hands it to the replay harness,
// which runs the real orchestrator and activities over the same Azurite blobs and audit table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { FakeDurableExtension } from '../fakes/durable-extension.js';
import { createWorld, seedShop, writeShopBackup, CLUSTER, type World } from '../backup/world.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { ScalingStore } from '../../src/adapters/scaling-store.js';
import { readSettings } from '../../src/config/settings.js';
import { startAppHost, type AppHost } from './app-host.js';
import { seedAudit } from './audit-seed.js';
import { createReplayHarness } from './replay-harness.js';
import { verificationOrchestrator } from '../../orchestrations/backup.js';
import { backupActivities } from '../../src/backup/activities.js';
import { acquireLease, initialBudgetState, recordApproval } from '../../src/budget/state.js';
import { budgetEntityKey } from '../../orchestrations/budget-entity.js';
import type { AuditRecord } from '../../src/domain/types.js';
import type { FakeInstance } from '../fakes/durable-extension.js';

export const BACKUP_ID = '20250101T020000Z-nightly';

export interface ConsoleWorld {
  host: AppHost;
  durable: FakeDurableExtension;
  backup: World;
  env: Record<string, string>;
  stop(): Promise<void>;
}

function configYaml(containers: Record<string, string>): string {
  return `version: 1
clusters:
  - name: ${CLUSTER}
    azure: { subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroup: rg-ms5-prod, clusterName: aks-ms5-prod }
    environment: production
    nodePools: [{ name: system, mode: System }, { name: compute, mode: User }, { name: spot, mode: User }]
approvals: { requiredIn: { namespaces: [payments] } }
rotation:
  secrets:
    - { name: redis-password, strategy: random, cluster: ms5-prod, targets: [shop/redis/REDIS_PASSWORD] }
backups:
  containers: ${JSON.stringify(containers)}
  encryption: { localKeySetting: BACKUP_LOCAL_KEY }
  clusters: [{ cluster: ${CLUSTER} }]
scaling:
  defaults: { mode: forecast-only, provisioningLead: 5m, updateLead: 3m }
  clusters:
    - cluster: ${CLUSTER}
      prometheus: { url: https://prometheus.example, auth: none }
      pools: [{ name: compute, minCount: 3, maxCount: 8, headroom: 0.1 }]
budgets:
  - name: prod-nodes
    scope: { subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroup: MC_rg }
    amount: 3000
    currency: EUR
    mode: dry-run
    stages:
      - { name: warn, threshold: 80, basis: actual, actions: [{ type: notify }] }
      - { name: slow-down, threshold: 100, basis: forecast, actions: [{ type: scaleDownPools, cluster: ${CLUSTER}, pools: [spot] }] }
`;
}

/** Forecast rows of the last 2 days, 5-minute steps, a daily cycle; forecasts slightly off. */
async function seedScaling(store: ScalingStore, now: Date): Promise<void> {
  const step = 300_000;
  const start = now.getTime() - 2 * 86_400_000;
  const writes = [];
  for (let t = start, i = 0; t < now.getTime(); t += step, i++) {
    const demand = 20 + 10 * Math.sin((i / 288) * 2 * Math.PI);
    writes.push(
      store.writeForecast({
        cluster: CLUSTER,
        pool: 'compute',
        at: new Date(t - 3_600_000).toISOString(),
        targetAt: new Date(t).toISOString(),
        stepMs: step,
        demand,
        nodes: Math.ceil(demand / 4),
        allocatable: 4,
        headroom: 0.1,
        forecast: demand * 1.03,
        upper: demand * 1.2,
        persistence: demand * 0.95,
        seasonalNaive: demand * 1.01,
        decisionUpper: demand * 1.2,
        neededNodes: Math.ceil((demand * 1.2) / 3.6),
        model: 'ets',
        mode: 'forecast-only',
        modeReasons: ['configured forecast-only'],
        actual: demand,
      }),
    );
  }
  await Promise.all(writes);
}

/** `auth`: easy-auth (the console behind App Service Authentication, the default) or function-key (the CLI with a function key and $AKSOPS_USER). */
export async function startConsoleWorld(o: { auditRows?: number; now?: Date; auth?: 'easy-auth' | 'function-key' } = {}): Promise<ConsoleWorld> {
  const now = o.now ?? new Date();
  const durable = await new FakeDurableExtension().start();
  const backup = await createWorld({ tag: 'console' });
  const suffix = Math.random().toString(36).slice(2, 8);
  const dir = mkdtempSync(join(tmpdir(), 'console-world-'));
  writeFileSync(join(dir, 'ops.yaml'), configYaml(backup.backups.containers));
  const env: Record<string, string> = {
    AzureWebJobsStorage: inject('azurite').connectionString,
    OPS_CONFIG_PATH: join(dir, 'ops.yaml'),
    AUDIT_TABLE_NAME: `conaudit${suffix}`,
    CONTROL_TABLE_NAME: `concontrol${suffix}`,
    SCALING_TABLE_NAME: `conscaling${suffix}`,
    BACKUP_LOCAL_KEY: backup.kek,
    RUNBOOKS_AUTH: o.auth ?? 'easy-auth',
    // App Service sets this behind Easy Auth; principal headers are trusted only then (src/oncall/identity.ts).
    WEBSITE_AUTH_ENABLED: (o.auth ?? 'easy-auth') === 'easy-auth' ? 'true' : 'false',
  };
  Object.assign(process.env, env);
  const settings = readSettings(process.env);
  await seedAudit(AuditStore.fromSettings(settings), o.auditRows ?? 300, now);
  await seedScaling(ScalingStore.fromSettings(settings), now);
  seedShop(backup.kube, 'shop');
  await writeShopBackup(backup.env, BACKUP_ID, ['snapshots: no VolumeSnapshotClass; skipped']);
  const audit = AuditStore.fromSettings(settings);
  durable.onStart = (i) => {
    if (i.name === 'backupVerification') void runVerification(i, backup, (r) => audit.write([r]));
  };
  const host = await startAppHost(durable);
  return {
    host,
    durable,
    backup,
    env,
    async stop() {
      await host.stop();
      await durable.stop();
      await backup.stop();
    },
  };
}

/** An Easy Auth principal header (what App Service Authentication injects) with app roles. */
export function principalHeader(name: string, roles: string[]): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'preferred_username',
      role_typ: 'roles',
      claims: [{ typ: 'preferred_username', val: name }, ...roles.map((r) => ({ typ: 'roles', val: r }))],
    }),
  ).toString('base64');
}

/** Makes a started on-call run look like the orchestration waiting for approval (what the orchestrator's custom status says). */
export function markAwaitingApproval(durable: FakeDurableExtension, id: string): void {
  const inst = durable.instances.get(id)!;
  inst.customStatus = {
    phase: 'awaiting-approval',
    runbook: 'drain-node',
    dryRun: false,
    target: `${CLUSTER}/_/Node/aks-compute-1-vmss000001`,
    plan: {
      summary: 'drain node aks-compute-1-vmss000001: evict 3 pods',
      steps: ['cordon aks-compute-1-vmss000001', 'evict shop/api-7d9f', 'evict shop/worker-5c2a', 'evict celery/beat-0'],
    },
    approval: { reason: 'runbook drain-node requires approval', deadline: new Date(Date.now() + 1_800_000).toISOString() },
  };
}

/** The verification the app started, run by the real orchestrator and activities; the instance then holds its output. */
async function runVerification(i: FakeInstance, backup: World, write: (r: AuditRecord) => Promise<void>): Promise<void> {
  const r = await createReplayHarness({
    orchestrator: verificationOrchestrator,
    instanceId: i.instanceId,
    input: i.input,
    activities: { ...backupActivities(backup.env), writeAudit: (rec: AuditRecord) => write(rec) },
    name: i.name,
    startTime: new Date().toISOString(), // the harness's clock: the audit row's time
  }).run();
  Object.assign(i, {
    runtimeStatus: r.status === 'completed' ? 'Completed' : 'Failed',
    output: r.output ?? null,
    customStatus: r.customStatus,
    lastUpdatedTime: new Date().toISOString(),
  });
}

/** A budget evaluation holding the lease and waiting for an Approver at `stage` (what the enforcement orchestration leaves in the entity). */
export function seedBudgetWaiting(durable: FakeDurableExtension, budget: string, periodKey: string, stage: number, now = new Date()): string {
  const instanceId = `budget-${budget}-${periodKey}-manual`;
  const at = now.toISOString();
  durable.instances.set(instanceId, {
    name: 'budgetEnforcement',
    instanceId,
    input: null,
    runtimeStatus: 'Running',
    createdTime: at,
    lastUpdatedTime: at,
    output: null,
    customStatus: { phase: 'awaiting-approval' },
    events: [],
  });
  const leased = acquireLease(initialBudgetState(budget, periodKey), { instanceId, now: at, leaseSeconds: 7200, budget, period: periodKey }).state;
  durable.entities.set(`budget/${budgetEntityKey(budget, periodKey)}`, recordApproval(leased, { stage, status: 'requested', at, instanceId }).state);
  return instanceId;
}
