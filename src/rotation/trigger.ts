// Starting rotations: from a Key Vault Event Grid event (SecretNearExpiry / SecretExpired), the
// daily sweep, or on-call (POST /api/rotations, aksops secrets rotate). One rule for all three:
// the rotation's instance ID is derived from the secret and its CURRENT version, so
// - a duplicate delivery (Event Grid is at-least-once) or a second request maps to the same
//   instance, which exists already: nothing new starts (an existing instance is never restarted,
//   even a finished one, so a late duplicate cannot rotate a second time);
// - an event about a version that is no longer current (out of order, or already rotated) is
//   stale: nothing starts;
// - a secret whose latest version is pending has a rotation under way: nothing starts.
// Every decision is audited. Transient failures (Key Vault, Durable Functions) are thrown so the
// trigger's caller retries (Event Grid redelivers; HTTP answers 503).
import type { VaultSecrets } from '../adapters/keyvault.js';
import type { CompiledConfig } from '../config/load.js';
import type { AuditRecord } from '../domain/types.js';
import type { RotationInput, RotationReason } from './contracts.js';
import { enrolment, rotationInstanceId, rotationPolicy, sweepDecision, TAG } from './model.js';
import { parseKeyVaultEvent, vaultNameOf } from './keyvault-event.js';

export interface RotationStarter {
  /** Runtime status of an instance, or null when it does not exist. */
  status(instanceId: string): Promise<string | null>;
  start(input: RotationInput): Promise<'started' | 'exists'>;
}

export interface TriggerEnv {
  config: CompiledConfig;
  vault: VaultSecrets;
  instances: RotationStarter;
  audit(records: AuditRecord[]): Promise<void>;
  now(): Date;
  forceDryRun?: boolean;
  /** Unique per delivery/request (audit row ids). */
  deliveryId(): string;
}

export type RequestDecision = 'started' | 'duplicate' | 'stale' | 'in-progress' | 'not-enrolled' | 'missing' | 'ignored';

export interface RotationRequest {
  secretName: string;
  /** The version the requester saw; omitted = whatever is current. */
  version?: string;
  reason: RotationReason;
  actor: string;
  dryRun?: boolean;
}

export interface RequestResult {
  secretName: string;
  decision: RequestDecision;
  instanceId?: string;
  detail: string;
}

export async function requestRotation(env: TriggerEnv, req: RotationRequest): Promise<RequestResult> {
  const res = await decide(env, req);
  await env.audit([
    {
      id: `rotation-request:${env.deliveryId()}:${req.secretName}`,
      at: env.now().toISOString(),
      kind: 'decision',
      actor: req.actor,
      runbook: 'secret-rotation',
      target: `keyvault/${req.secretName}`,
      decision: res.decision,
      detail: `${req.reason}: ${res.detail}`,
      ...(res.instanceId ? { instanceId: res.instanceId } : {}),
      ...(req.dryRun ? { dryRun: true } : {}),
    },
  ]);
  return res;
}

async function decide(env: TriggerEnv, req: RotationRequest): Promise<RequestResult> {
  const r = (decision: RequestDecision, detail: string, instanceId?: string): RequestResult => ({
    secretName: req.secretName,
    decision,
    detail,
    ...(instanceId ? { instanceId } : {}),
  });
  const latest = await env.vault.latest(req.secretName);
  if (!latest) return r('missing', `secret ${req.secretName} does not exist in ${env.vault.vaultUrl}`);
  const secret = enrolment(env.config.source.rotation, req.secretName, latest.tags, env.forceDryRun);
  if (!secret) return r('not-enrolled', `secret ${req.secretName} is not enrolled for rotation`);
  if (req.version !== undefined && req.version !== latest.version) {
    const from = latest.tags[TAG.replaces];
    if (from === req.version && latest.tags[TAG.stage] === 'pending')
      return r('duplicate', `the rotation of version ${req.version} is under way (${latest.tags[TAG.rotation] ?? '?'})`, latest.tags[TAG.rotation]);
    return r('stale', `version ${req.version} is not current (current: ${latest.version}); nothing to do`);
  }
  if (latest.tags[TAG.stage] === 'pending')
    return r('in-progress', `version ${latest.version} is pending: rotation ${latest.tags[TAG.rotation] ?? '?'} is under way`, latest.tags[TAG.rotation]);
  const instanceId = rotationInstanceId(secret.name, latest.version);
  if ((await env.instances.status(instanceId)) !== null)
    return r('duplicate', `rotation ${instanceId} already exists for version ${latest.version}`, instanceId);
  const policy = rotationPolicy(env.config.source.rotation);
  const input: RotationInput = {
    instanceId,
    secretName: secret.name,
    fromVersion: latest.version,
    strategy: secret.strategy,
    cluster: secret.cluster,
    reason: req.reason,
    actor: req.actor,
    dryRun: req.dryRun === true || secret.dryRun,
    approval: { required: secret.approvalRequired, timeoutSeconds: policy.approvalTimeoutSeconds },
    rolloutTimeoutSeconds: policy.rolloutTimeoutSeconds,
    pollSeconds: policy.pollSeconds,
    maxConcurrent: policy.maxConcurrent,
  };
  const started = await env.instances.start(input);
  return started === 'started'
    ? r('started', `rotating ${secret.name} from version ${latest.version} (${secret.strategy})`, instanceId)
    : r('duplicate', `rotation ${instanceId} was started concurrently`, instanceId);
}

/** One Event Grid event (EventGridSchema) from the Key Vault system topic. */
export async function handleKeyVaultEvent(env: TriggerEnv, event: unknown): Promise<RequestResult> {
  const parsed = parseKeyVaultEvent(event);
  if (!parsed.ok) {
    const res: RequestResult = { secretName: '', decision: 'ignored', detail: parsed.reason };
    await env.audit([
      {
        id: `rotation-request:${env.deliveryId()}:event`,
        at: env.now().toISOString(),
        kind: 'decision',
        actor: 'eventgrid',
        runbook: 'secret-rotation',
        decision: 'ignored',
        detail: parsed.reason,
      },
    ]);
    return res;
  }
  const e = parsed.event;
  if (e.vaultName.toLowerCase() !== vaultNameOf(env.vault.vaultUrl)) {
    const detail = `event from vault ${e.vaultName}, but this app rotates secrets of ${vaultNameOf(env.vault.vaultUrl)}`;
    await env.audit([
      {
        id: `rotation-request:${env.deliveryId()}:${e.name}`,
        at: env.now().toISOString(),
        kind: 'decision',
        actor: 'eventgrid',
        runbook: 'secret-rotation',
        target: `keyvault/${e.name}`,
        decision: 'ignored',
        detail,
      },
    ]);
    return { secretName: e.name, decision: 'ignored', detail };
  }
  return requestRotation(env, {
    secretName: e.name,
    version: e.version,
    reason: e.eventType.endsWith('SecretExpired') ? 'expired' : 'near-expiry',
    actor: 'eventgrid',
  });
}

export interface SweepResult {
  checked: number;
  results: RequestResult[];
}

/** The daily sweep: enrolled secrets (config and tags) that expire inside the window, have no expiry or are too old. */
export async function sweep(env: TriggerEnv): Promise<SweepResult> {
  const rot = env.config.source.rotation;
  const policy = rotationPolicy(rot);
  const now = env.now();
  const all = await env.vault.listSecrets();
  const results: RequestResult[] = [];
  let checked = 0;
  for (const s of all) {
    const secret = enrolment(rot, s.name, s.tags, env.forceDryRun);
    if (!secret) continue;
    checked++;
    const d = sweepDecision(
      {
        name: s.name,
        version: s.version,
        tags: s.tags,
        ...(s.expiresOn ? { expiresOn: s.expiresOn } : {}),
        ...(s.createdOn ? { createdOn: s.createdOn } : {}),
      },
      secret.validityDays,
      now,
      policy.windowSeconds,
    );
    if (!d.due) continue;
    results.push(await requestRotation(env, { secretName: s.name, reason: 'sweep', actor: 'sweep' }));
  }
  // Enrolled in config but absent from the vault: say so (a typo or a deleted secret).
  for (const e of rot?.secrets ?? []) {
    if (!all.some((s) => s.name.toLowerCase() === e.name.toLowerCase()))
      results.push({ secretName: e.name, decision: 'missing', detail: `secret ${e.name} is enrolled in ops.yaml but not in ${env.vault.vaultUrl}` });
  }
  return { checked, results };
}
