// A rotation world for tests: the strict fake Key Vault (real SecretClient), the strict fake
// Kubernetes API (real client-node through the real KubeAccess adapter) with the rollout
// simulation, the real activities, the real orchestrator and slots entity replayed by the
// harness, and the audit log in Azurite. Everything the run produces (history, custom status,
// outputs, audit rows, notifications, log lines, errors) can be collected for the leak scan.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../fakes/kube-api-server.js';
import { startFakeKeyVault, type FakeKeyVault } from '../fakes/keyvault-server.js';
import { attachRolloutSimulation, type RolloutSimulation } from '../fakes/kube-rollout.js';
import { createReplayHarness, when, type PlannedEvent, type ReplayHarness } from '../support/replay-harness.js';
import { secretRotationOrchestrator } from '../../orchestrations/secret-rotation.js';
import { rotationSlotsEntity } from '../../orchestrations/rotation-slots.js';
import { parseConfig, type CompiledConfig } from '../../src/config/load.js';
import { createKubeAccess } from '../../src/adapters/kube.js';
import { createVaultSecrets, type VaultSecrets } from '../../src/adapters/keyvault.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import type { Settings } from '../../src/config/settings.js';
import { windowGateActivity } from '../support/window-gate.js';
import { errorBudgetGateActivityFor, type ErrorBudgetWorld } from '../support/error-budget.js';
import * as act from '../../src/rotation/activities.js';
import type { RotationEnv } from '../../src/rotation/activities.js';
import { ROTATION_ACTIVITY as A, type RotationInput } from '../../src/rotation/contracts.js';
import { rotationInstanceId, rotationPolicy } from '../../src/rotation/model.js';
import type { Providers } from '../../src/rotation/strategies.js';
import type { AuditRecord } from '../../src/domain/types.js';

export const KUBE_TOKEN = 'kube-rotation-token-7c1d';
const dir = mkdtempSync(join(tmpdir(), 'rotation-world-'));
let worlds = 0;
/** One virtual start time for every world of this process, so rebuilt worlds replay identically. */
export const START = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

export interface World {
  kv: FakeKeyVault;
  kube: FakeKubeApiServer;
  sim: RolloutSimulation;
  vault: VaultSecrets;
  config: CompiledConfig;
  env: RotationEnv;
  audit: AuditStore;
  notifications: string[];
  logs: string[];
  errors: string[];
  stop(): Promise<void>;
  input(secretName: string, over?: Partial<RotationInput>): Promise<RotationInput>;
  harness(input: RotationInput, opts?: { events?: PlannedEvent[]; startTime?: string }): ReplayHarness;
}

const noProviders: Providers = {
  postgres: () => {
    throw new Error('no postgres in this world');
  },
  redis: () => {
    throw new Error('no redis in this world');
  },
  storage: () => {
    throw new Error('no storage in this world');
  },
};

export async function makeWorld(opts: {
  settings: Settings;
  rotationYaml: (ctx: string) => string;
  providers?: Providers;
  seed?: (w: { kv: FakeKeyVault; kube: FakeKubeApiServer }) => void;
  observationsToComplete?: number;
  errorBudget?: ErrorBudgetWorld;
}): Promise<World> {
  const n = ++worlds;
  const kv = await startFakeKeyVault({ vaultName: 'kv-rotation', versionSeed: 'rotation-world' });
  const kube = await startFakeKubeApiServer({ token: KUBE_TOKEN });
  opts.seed?.({ kv, kube });
  const sim = attachRolloutSimulation(kube, { observationsToComplete: opts.observationsToComplete ?? 2 });
  const kc = kube.kubeConfig();
  const kubeconfigPath = join(dir, `kubeconfig-${n}`);
  writeFileSync(kubeconfigPath, kc.exportConfig());
  const config = parseConfig(opts.rotationYaml(kc.getCurrentContext()));
  const vault = createVaultSecrets({ vaultUrl: kv.vaultUrl, credential: kv.credential(), clientOptions: kv.clientOptions() });
  const audit = AuditStore.fromSettings({ ...opts.settings, auditTableName: `rot${opts.settings.auditTableName}${n}` });
  const notifications: string[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const env: RotationEnv = {
    config,
    vault,
    kube: createKubeAccess({ kubeconfigPath }),
    providers: opts.providers ?? noProviders,
    now: () => new Date(),
    isPaused: async () => ({ paused: false, reason: null }),
    audit: (records: AuditRecord[]) => audit.write(records),
    notify: async (text) => {
      notifications.push(text);
      logs.push(`NOTIFY ${text}`);
    },
  };
  // Every activity as the function app registers it, with its errors captured for the leak scan.
  const wrap =
    <I, O>(fn: (env: RotationEnv, i: I) => Promise<O>) =>
    async (i: unknown): Promise<O> => {
      try {
        return await fn(env, i as I);
      } catch (e) {
        errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
        throw e;
      }
    };
  const activities = {
    [A.prepare]: wrap(act.prepare),
    [A.create]: wrap(act.create),
    [A.propagate]: wrap(act.propagate),
    [A.roll]: wrap(act.roll),
    [A.rolloutStatus]: wrap(act.rolloutStatus),
    [A.verify]: wrap(act.verify),
    [A.promote]: wrap(act.promote),
    [A.rollback]: wrap(act.rollback),
    [A.revertProvider]: wrap(act.revertProvider),
    [A.audit]: wrap(act.writeAudit),
    [A.notify]: wrap(act.notify),
    ...windowGateActivity(config.source.windows),
    ...(opts.errorBudget ? errorBudgetGateActivityFor(opts.errorBudget) : {}),
  };
  const policy = rotationPolicy(config.source.rotation);
  return {
    kv,
    kube,
    sim,
    vault,
    config,
    env,
    audit,
    notifications,
    logs,
    errors,
    stop: async () => {
      await Promise.all([kv.stop(), kube.stop()]);
    },
    input: async (secretName, over = {}) => {
      const latest = (await vault.latest(secretName))!;
      const entry = config.source.rotation!.secrets.find((s) => s.name === secretName)!;
      return {
        instanceId: rotationInstanceId(secretName, latest.version),
        secretName,
        fromVersion: latest.version,
        strategy: entry.strategy,
        cluster: entry.cluster,
        reason: 'manual',
        actor: 'user:test@contoso.com',
        dryRun: false,
        approval: { required: entry.approval ?? config.source.rotation!.approval.required, timeoutSeconds: policy.approvalTimeoutSeconds },
        rolloutTimeoutSeconds: policy.rolloutTimeoutSeconds,
        pollSeconds: policy.pollSeconds,
        maxConcurrent: policy.maxConcurrent,
        ...over,
      };
    },
    harness: (input, h = {}) =>
      createReplayHarness({
        orchestrator: secretRotationOrchestrator,
        instanceId: input.instanceId,
        input,
        name: 'secretRotation',
        activities,
        entities: { rotationSlots: rotationSlotsEntity },
        ...(h.events ? { events: h.events } : {}),
        startTime: h.startTime ?? START,
      }),
  };
}

export { when };

/** Everything a run produced that could carry a value, as one text per source. */
export async function producedTexts(w: World, harnesses: ReplayHarness[]): Promise<Array<{ source: string; text: string }>> {
  const out: Array<{ source: string; text: string }> = [];
  for (const [i, h] of harnesses.entries()) {
    out.push({ source: `history#${i}`, text: JSON.stringify(h.store.history) });
    out.push({ source: `inbox#${i}`, text: JSON.stringify(h.store.inbox) });
    out.push({ source: `customStatus#${i}`, text: JSON.stringify(h.store.customStatusLog) });
    out.push({ source: `output#${i}`, text: JSON.stringify({ output: h.store.output, error: h.store.error }) });
    out.push({ source: `entities#${i}`, text: JSON.stringify(h.store.entities) });
  }
  const rows = (await w.audit.query({ since: '7d', until: new Date(Date.now() + 86400_000).toISOString(), limit: 1000 })).items;
  out.push({ source: 'audit', text: JSON.stringify(rows) });
  out.push({ source: 'notifications', text: JSON.stringify(w.notifications) });
  out.push({ source: 'logs', text: JSON.stringify(w.logs) });
  out.push({ source: 'errors', text: JSON.stringify(w.errors) });
  out.push({ source: 'kube-requests-recorded-by-fake(no)', text: '' });
  return out;
}

/** Every value Key Vault ever held in this world (all versions of all secrets). */
export function allValues(w: World, names: string[]): string[] {
  return names.flatMap((n) => w.kv.versions(n).map((v) => v.value));
}

/** The parts of a value that must not leak: the value, and for JSON credentials each string field. */
export function leakNeedles(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    out.add(v);
    out.add(Buffer.from(v, 'utf8').toString('base64'));
    try {
      const j = JSON.parse(v) as Record<string, unknown>;
      if (typeof j['password'] === 'string') {
        out.add(j['password']);
        out.add(Buffer.from(j['password'], 'utf8').toString('base64'));
      }
    } catch {
      /* not JSON */
    }
  }
  return [...out].filter((x) => x.length >= 8);
}
