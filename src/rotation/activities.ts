// The rotation activities, free of the Functions framework (functions/rotation.ts registers them;
// tests call them directly). Each one is idempotent: Durable runs activities at least once, so
// every write first looks for its own earlier result (Key Vault versions are found by the tags
// aksops-rotation = instance ID and aksops-op; Kubernetes writes compare before writing;
// restarts carry the orchestration's restartedAt). Values are read here, used here and never
// returned; every error leaving an activity is scrubbed of the values it handled.
import type { KubeAccess, KubeApis } from '../adapters/kube.js';
import { recordAuditMetrics } from '../telemetry/metrics.js';
import type { VaultSecrets, SecretVersionInfo } from '../adapters/keyvault.js';
import type { CompiledConfig } from '../config/load.js';
import type { AuditRecord } from '../domain/types.js';
import { clusterRef } from '../runbooks/run.js';
import { namespaceProtection } from '../domain/protection.js';
import { consumerPods, csiPodStatuses, readSecretKey, restartWorkload, rolloutState, writeSecretKeys } from '../adapters/kube-rotation.js';
import type {
  CreateInput,
  CreateOutput,
  PrepareInput,
  PrepareOutput,
  PromoteInput,
  PromoteOutput,
  PropagateInput,
  PropagateOutput,
  RevertProviderInput,
  RollInput,
  RollOutput,
  RollbackInput,
  RollbackOutput,
  RolloutStatusInput,
  RolloutStatusOutput,
  RotationNotifyInput,
  VerifyInput,
  VerifyOutput,
} from './contracts.js';
import { consumerKey, enrolment, fieldOf, nextTags, scrub, scrubDeep, TAG, targetKey, withStage, type EnrolledSecret } from './model.js';
import { STRATEGIES, type Credential, type Providers, type StrategyContext } from './strategies.js';

export interface RotationEnv {
  config: CompiledConfig;
  vault: VaultSecrets;
  kube: KubeAccess;
  providers: Providers;
  now(): Date;
  forceDryRun?: boolean;
  /** Fails closed: throws when the switch cannot be read. */
  isPaused(): Promise<{ paused: boolean; reason: string | null }>;
  audit(records: AuditRecord[]): Promise<void>;
  /** The on-call message (Teams/Slack when configured; the function log otherwise). Never values. */
  notify(text: string): Promise<void>;
}

/**
 * Runs `fn` with a list of values to scrub from whatever it throws or returns (warnings and
 * details carry provider messages, which may echo a value): the one scrubber of every provider path.
 */
async function guarded<T>(fn: (remember: (v: string) => void) => Promise<T>): Promise<T> {
  const values: string[] = [];
  try {
    return scrubDeep(await fn((v) => values.push(v)), values);
  } catch (e) {
    const err = new Error(scrub(e instanceof Error ? e.message : String(e), values));
    err.name = e instanceof Error ? e.name : 'Error';
    throw err;
  }
}

async function enrolled(env: RotationEnv, name: string, tags?: Record<string, string>): Promise<EnrolledSecret> {
  const t = tags ?? (await env.vault.latest(name))?.tags;
  const e = enrolment(env.config.source.rotation, name, t, env.forceDryRun);
  if (!e)
    throw new Error(
      `secret ${name} is not enrolled for rotation (no rotation.secrets entry and no aksops-rotate tag). Fix: add it to ops.yaml rotation.secrets`,
    );
  return e;
}

function context(env: RotationEnv, secret: EnrolledSecret, remember: (v: string) => void): StrategyContext {
  return {
    secret,
    providers: env.providers,
    remember,
    adminPassword: async (name) => {
      const latest = await env.vault.latest(name);
      if (!latest) throw new Error(`admin secret ${name} does not exist in ${env.vault.vaultUrl}. Fix: store the admin password there`);
      const v = await env.vault.value(name, latest.version);
      remember(v);
      return v;
    },
  };
}

async function credentialOf(env: RotationEnv, ctx: StrategyContext, info: SecretVersionInfo): Promise<Credential> {
  const value = await env.vault.value(ctx.secret.name, info.version);
  ctx.remember(value);
  const credential = info.tags[TAG.credential] ?? (await STRATEGIES[ctx.secret.strategy].label(ctx, value));
  return { value, credential };
}

function findVersion(versions: SecretVersionInfo[], instanceId: string, op: 'create' | 'rollback'): SecretVersionInfo | undefined {
  return versions.find((v) => v.tags[TAG.rotation] === instanceId && v.tags[TAG.op] === op);
}

function versionInfo(versions: SecretVersionInfo[], version: string, name: string): SecretVersionInfo {
  const v = versions.find((x) => x.version === version);
  if (!v) throw new Error(`secret ${name} has no version ${version} (deleted or purged?)`);
  return v;
}

async function apisFor(env: RotationEnv, secret: EnrolledSecret): Promise<KubeApis> {
  return env.kube.forCluster(clusterRef(env.config, secret.cluster));
}

function protectedNs(env: RotationEnv, cluster: string, ns: string): boolean {
  return namespaceProtection(ns, env.config.protectedNamespaces.get(cluster)) !== null;
}

// ---------------------------------------------------------------- activities

export function prepare(env: RotationEnv, i: PrepareInput): Promise<PrepareOutput> {
  return guarded(async () => {
    const latest = await env.vault.latest(i.secretName);
    if (!latest) return { state: 'missing', detail: `secret ${i.secretName} does not exist (or its latest version is disabled)` };
    if (!enrolment(env.config.source.rotation, i.secretName, latest.tags, env.forceDryRun))
      return { state: 'not-enrolled', detail: `secret ${i.secretName} is not enrolled` };
    const ours = latest.tags[TAG.rotation] === i.instanceId;
    if (latest.version !== i.fromVersion && !ours) {
      return {
        state: 'stale',
        currentVersion: latest.version,
        detail: `version ${i.fromVersion} is no longer current (current: ${latest.version}); nothing to do`,
      };
    }
    const from = latest.version === i.fromVersion ? latest : undefined;
    return {
      state: 'ready',
      currentVersion: latest.version,
      ...(from?.tags[TAG.credential] ? { credential: from.tags[TAG.credential] } : {}),
      detail: ours ? 'resuming this rotation' : `rotating from ${i.fromVersion}`,
    };
  });
}

export function create(env: RotationEnv, i: CreateInput): Promise<CreateOutput> {
  return guarded(async (remember) => {
    const versions = await env.vault.versions(i.secretName);
    const done = findVersion(versions, i.instanceId, 'create');
    if (done)
      return {
        version: done.version,
        credential: done.tags[TAG.credential] ?? '',
        created: false,
        detail: 'the pending version was already stored by an earlier attempt',
      };
    const from = versionInfo(versions, i.fromVersion, i.secretName);
    const secret = await enrolled(env, i.secretName, from.tags);
    const ctx = context(env, secret, remember);
    const strategy = STRATEGIES[secret.strategy];
    const current = await credentialOf(env, ctx, from);
    if (i.dryRun || secret.dryRun) return { version: '', credential: current.credential, created: false, detail: await strategy.describe(ctx, current) };
    const pause = await env.isPaused();
    if (pause.paused) throw new Error(`paused: ${pause.reason ?? 'automation is paused'}`);
    const made = await strategy.create(ctx, current);
    const expiresOn = new Date(env.now().getTime() + secret.validityDays * 86400_000);
    const stored = await env.vault.setVersion(i.secretName, made.value, {
      tags: nextTags(from.tags, { stage: 'pending', rotation: i.instanceId, credential: made.credential, replaces: i.fromVersion, op: 'create' }),
      expiresOn,
      contentType: strategy.contentType,
    });
    return {
      version: stored.version,
      credential: made.credential,
      created: true,
      detail: `${made.detail}; stored as pending, expires ${expiresOn.toISOString()}`,
    };
  });
}

export function propagate(env: RotationEnv, i: PropagateInput): Promise<PropagateOutput> {
  return guarded(async (remember) => {
    const secret = await enrolled(env, i.secretName);
    if (secret.targets.length === 0)
      return {
        updated: [],
        unchanged: [],
        detail: secret.csi ? `consumers mount it with the CSI driver (${secret.csi.secretProviderClass}); nothing to write` : 'no targets',
      };
    const versions = await env.vault.versions(i.secretName);
    const info = versionInfo(versions, i.version, i.secretName);
    const value = await env.vault.value(i.secretName, i.version);
    remember(value);
    const credential = info.tags[TAG.credential] ?? '';
    const apis = await apisFor(env, secret);
    const bySecret = new Map<string, { namespace: string; secret: string; values: Record<string, string> }>();
    for (const t of secret.targets) {
      if (protectedNs(env, secret.cluster, t.namespace)) throw new Error(`target ${targetKey(t)} is in a protected namespace`);
      const k = `${t.namespace}/${t.secret}`;
      const entry = bySecret.get(k) ?? { namespace: t.namespace, secret: t.secret, values: {} };
      entry.values[t.key] = fieldOf(secret.strategy, value, t.field, credential, secret.name);
      bySecret.set(k, entry);
    }
    const updated: string[] = [];
    const unchanged: string[] = [];
    for (const [k, e] of bySecret) {
      if (await writeSecretKeys(apis, e.namespace, e.secret, e.values, i.version, i.dryRun)) updated.push(k);
      else unchanged.push(k);
    }
    return { updated, unchanged, detail: `secrets updated: ${updated.join(', ') || 'none'}; already current: ${unchanged.join(', ') || 'none'}` };
  });
}

export function roll(env: RotationEnv, i: RollInput): Promise<RollOutput> {
  return guarded(async () => {
    const secret = await enrolled(env, i.secretName);
    const pause = await env.isPaused();
    if (pause.paused) throw new Error(`paused: ${pause.reason ?? 'automation is paused'}`);
    const apis = secret.consumers.length > 0 ? await apisFor(env, secret) : undefined;
    const rolled: string[] = [];
    const skipped: string[] = [];
    for (const c of secret.consumers) {
      if (protectedNs(env, secret.cluster, c.namespace)) {
        skipped.push(`${consumerKey(c)} (protected namespace)`);
        continue;
      }
      const r = await restartWorkload(apis!, c, i.restartedAt, i.dryRun);
      if (r === 'done' || r === 'already-done') rolled.push(consumerKey(c));
      else throw new Error(`cannot roll ${consumerKey(c)}: ${r === 'missing' ? 'it does not exist' : 'it is paused (spec.paused)'}`);
    }
    return {
      rolled,
      skipped,
      detail: `rollout restart (restartedAt ${i.restartedAt}) of ${rolled.join(', ') || 'no consumers'}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`,
    };
  });
}

export function rolloutStatus(env: RotationEnv, i: RolloutStatusInput): Promise<RolloutStatusOutput> {
  return guarded(async () => {
    const secret = await enrolled(env, i.secretName);
    const consumers = secret.consumers.filter((c) => !protectedNs(env, secret.cluster, c.namespace));
    if (consumers.length === 0) return { state: 'done', done: 0, total: 0, detail: 'no consumers' };
    const apis = await apisFor(env, secret);
    const states = await Promise.all(consumers.map((c) => rolloutState(apis, c, i.restartedAt)));
    const failed = states.filter((s) => s.state === 'failed');
    const done = states.filter((s) => s.state === 'done').length;
    const state = failed.length > 0 ? 'failed' : done === states.length ? 'done' : 'progressing';
    return { state, done, total: states.length, detail: (failed.length > 0 ? failed : states).map((s) => s.detail).join('; ') };
  });
}

export function verify(env: RotationEnv, i: VerifyInput): Promise<VerifyOutput> {
  return guarded(async (remember) => {
    const secret = await enrolled(env, i.secretName);
    const versions = await env.vault.versions(i.secretName);
    const info = versionInfo(versions, i.version, i.secretName);
    const ctx = context(env, secret, remember);
    const cred = await credentialOf(env, ctx, info);
    const problems: string[] = [];
    const checks: string[] = [];
    const apis = secret.targets.length > 0 || secret.consumers.length > 0 || secret.csi ? await apisFor(env, secret) : undefined;
    for (const t of secret.targets) {
      const held = await readSecretKey(apis!, t.namespace, t.secret, t.key);
      if (held !== fieldOf(secret.strategy, cred.value, t.field, cred.credential, secret.name))
        problems.push(`${targetKey(t)} does not hold version ${i.version}`);
    }
    if (secret.targets.length > 0) checks.push(`${secret.targets.length} target(s) hold the new version`);
    for (const c of secret.consumers.filter((x) => !protectedNs(env, secret.cluster, x.namespace))) {
      const s = await rolloutState(apis!, c, i.restartedAt);
      if (s.state !== 'done') problems.push(s.detail);
    }
    if (secret.consumers.length > 0) checks.push('consumers rolled out and available');
    if (secret.csi) {
      const csi = secret.csi;
      const statuses = await csiPodStatuses(apis!, csi.namespace, csi.secretProviderClass);
      const pods = (await Promise.all(secret.consumers.filter((c) => c.namespace === csi.namespace).map((c) => consumerPods(apis!, c)))).flat();
      for (const pod of pods) {
        const st = statuses.find((s) => s.podName === pod);
        const obj = st?.objects.find((o) => o.id === `secret/${csi.objectName}` || o.id.endsWith(`/${csi.objectName}`) || o.id === csi.objectName);
        if (!st || !st.mounted) problems.push(`pod ${csi.namespace}/${pod} has no mounted SecretProviderClassPodStatus for ${csi.secretProviderClass}`);
        else if (obj?.version !== i.version)
          problems.push(`pod ${csi.namespace}/${pod} mounts version ${obj?.version ?? 'none'} of ${csi.objectName}, not ${i.version}`);
      }
      checks.push(`${pods.length} pod(s) mount version ${i.version} through the CSI driver`);
    }
    try {
      await STRATEGIES[secret.strategy].test(ctx, cred);
      if (secret.strategy !== 'random') checks.push('provider login with the new credential works');
    } catch (e) {
      problems.push(`provider test failed: ${(e as Error).message}`);
    }
    return problems.length > 0 ? { ok: false, detail: problems.join('; ') } : { ok: true, detail: checks.join('; ') || 'nothing to check' };
  });
}

export function promote(env: RotationEnv, i: PromoteInput): Promise<PromoteOutput> {
  return guarded(async (remember) => {
    const versions = await env.vault.versions(i.secretName);
    const next = versionInfo(versions, i.version, i.secretName);
    const from = versionInfo(versions, i.fromVersion, i.secretName);
    const secret = await enrolled(env, i.secretName, next.tags);
    const ctx = context(env, secret, remember);
    const warnings: string[] = [];
    // Retire first (provider side), then tags: a crash in between re-runs both, and both are idempotent.
    let retired = '';
    try {
      const nc = await credentialOf(env, ctx, next);
      const oc = await credentialOf(env, ctx, from);
      retired = (await STRATEGIES[secret.strategy].retire(ctx, nc, oc)).detail;
    } catch (e) {
      warnings.push(`retiring the old credential failed: ${(e as Error).message}`);
    }
    if (next.tags[TAG.stage] !== 'current') await env.vault.updateVersion(i.secretName, i.version, { tags: withStage(next.tags, 'current') });
    if (from.tags[TAG.stage] !== 'previous' && from.version !== next.version)
      await env.vault.updateVersion(i.secretName, from.version, { tags: withStage(from.tags, 'previous') });
    for (const v of versions) {
      if (v.version !== from.version && v.version !== next.version && v.tags[TAG.stage] === 'previous') {
        await env.vault.updateVersion(i.secretName, v.version, { tags: withStage(v.tags, 'retired') });
      }
    }
    return { warnings, detail: `version ${i.version} is current, ${i.fromVersion} previous${retired ? `; ${retired}` : ''}` };
  });
}

export function rollback(env: RotationEnv, i: RollbackInput): Promise<RollbackOutput> {
  return guarded(async (remember) => {
    const versions = await env.vault.versions(i.secretName);
    const failed = versions.find((v) => v.version === i.failedVersion);
    let restored = findVersion(versions, i.instanceId, 'rollback');
    if (!restored) {
      const from = versionInfo(versions, i.fromVersion, i.secretName);
      const secret = await enrolled(env, i.secretName, from.tags);
      const value = await env.vault.value(i.secretName, i.fromVersion);
      remember(value);
      const ctx = context(env, secret, remember);
      const credential = from.tags[TAG.credential] ?? (await STRATEGIES[secret.strategy].label(ctx, value));
      // Keep the old version's expiry when it still lies ahead; an expired one gets 7 days so the
      // vault does not flag the restored value as expired at once (the next rotation replaces it).
      const exp = from.expiresOn && Date.parse(from.expiresOn) > env.now().getTime() ? new Date(from.expiresOn) : new Date(env.now().getTime() + 7 * 86400_000);
      restored = await env.vault.setVersion(i.secretName, value, {
        tags: nextTags(from.tags, { stage: 'current', rotation: i.instanceId, credential, replaces: i.fromVersion, op: 'rollback' }),
        expiresOn: exp,
        ...(from.contentType !== undefined ? { contentType: from.contentType } : {}),
      });
    }
    if (failed && (failed.enabled || failed.tags[TAG.stage] !== 'failed')) {
      await env.vault.updateVersion(i.secretName, failed.version, { tags: withStage(failed.tags, 'failed'), enabled: false });
    }
    return {
      restoredVersion: restored.version,
      detail: `restored the value of ${i.fromVersion} as version ${restored.version}; ${i.failedVersion} marked failed and disabled`,
    };
  });
}

export function revertProvider(env: RotationEnv, i: RevertProviderInput): Promise<{ detail: string }> {
  return guarded(async (remember) => {
    const versions = await env.vault.versions(i.secretName);
    const failed = versionInfo(versions, i.failedVersion, i.secretName);
    const restored = versionInfo(versions, i.restoredVersion, i.secretName);
    const secret = await enrolled(env, i.secretName, restored.tags);
    const ctx = context(env, secret, remember);
    // Only the failed version's label is needed (its value stays disabled and unread).
    const kc = await credentialOf(env, ctx, restored);
    return { detail: await STRATEGIES[secret.strategy].revert(ctx, failed.tags[TAG.credential] ?? '', kc) };
  });
}

export async function writeAudit(env: RotationEnv, record: AuditRecord): Promise<void> {
  await env.audit([record]);
  recordAuditMetrics([record]);
}

export async function notify(env: RotationEnv, n: RotationNotifyInput): Promise<void> {
  const text = `secret rotation ${n.outcome}: ${n.secretName} (${n.instanceId}): ${n.detail}`;
  await env.notify(scrub(text, []));
  await env.audit([
    {
      id: n.id,
      at: n.at,
      kind: 'result',
      actor: 'orchestration',
      instanceId: n.instanceId,
      runbook: 'secret-rotation',
      target: `keyvault/${n.secretName}`,
      decision: 'escalated',
      result: n.outcome,
      detail: n.detail,
    },
  ]);
}
