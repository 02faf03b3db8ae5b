// Registrations of backups (docs/backups.md): the backup, retention, restore, drill and
// verification orchestrations, their activities, the schedule timer and the HTTP endpoints.
// Thin: the logic is in orchestrations/backup.ts, restore.ts, retention.ts and src/backup/.
// Modules load on first use (cold start is benchmarked).
//
//   timer  backupSchedule         every 5 minutes: starts the schedule slots that are due
//                                 (backups.schedules, verify, drill), one instance per slot
//   POST   /api/backups           on-demand backup {cluster, parts?, namespaces?, databases?, retention?}
//   GET    /api/backups           ?cluster=  list, newest first, each with its last verification (audit)
//   GET    /api/backups/{id}      ?cluster=&items=true  the manifest, or the running backup's status
//   POST   /api/restores          {cluster, backupId, namespaces?, kinds?, namespaceMap?, conflict?, dryRun? (default true), databases?}
//   GET    /api/restores/{id}     the restore's status (instance ID from the POST)
//   POST   /api/backups/{id}/verify   {cluster?}  re-read one backup and check every checksum (backupVerification)
//   GET    /api/verifications/{id}    the verification's status and verdict (instance ID from the POST)
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { activity, clientHttp, clientTimer, orchestration } from './lib/durable-lazy.js';
import { identify, json, readJson, refused, validBody, validQuery } from './lib/http.js';
import { actorOf, APPROVER_ROLE, OPERATOR_ROLE } from '../src/oncall/identity.js';
import { auditStore } from './lib/runtime.js';
import { backupEnv, durableBackupInstances } from './lib/backup-runtime.js';
import type { AuditRecord } from '../src/domain/types.js';
import type { InstanceInfo } from '../src/backup/triggers.js';
import type { BackupRequestBody, BackupVerifyBody, RestoreRequestBody } from '../src/api/schemas.js';
import { BACKUP_ACTIVITY_NAMES } from '../src/backup/activity-names.js';

orchestration('backup', async () => (await import('../orchestrations/backup.js')).backupOrchestrator);
orchestration('backupRetention', async () => (await import('../orchestrations/retention.js')).retentionOrchestrator);
orchestration('backupVerification', async () => (await import('../orchestrations/backup.js')).verificationOrchestrator);
orchestration('restore', async () => (await import('../orchestrations/restore.js')).restoreOrchestrator);
orchestration('backupDrill', async () => (await import('../orchestrations/restore.js')).drillOrchestrator);

// Every activity of src/backup/activity-names.ts (writeAudit is registered with the remediation).
for (const name of BACKUP_ACTIVITY_NAMES) {
  activity(name, async () => {
    const [{ backupActivities }, env] = await Promise.all([import('../src/backup/activities.js'), backupEnv()]);
    const fn = backupActivities(env)[name] as (input: never) => Promise<unknown>;
    return (input: unknown) => fn(input as never);
  });
}

clientTimer('backupSchedule', {
  schedule: '0 */5 * * * *',
  handler: async (_timer, client, context: InvocationContext) => {
    const [{ onTimerTick }, env] = await Promise.all([import('../src/backup/triggers.js'), backupEnv().catch((e: Error) => e)]);
    if (env instanceof Error) {
      // No backups section: nothing is scheduled. Anything else is a configuration error to see.
      if (!/no backups section/.test(env.message)) context.error(`backups: ${env.message}`);
      return;
    }
    const started = await onTimerTick(durableBackupInstances(client), env.backups, new Date());
    for (const s of started) if (s.result === 'started') context.log(`backups: started ${s.instanceId}`);
  },
});

async function failure(e: unknown, context: InvocationContext, what: string): Promise<HttpResponseInit> {
  const [{ RequestError }, { redactSecrets }] = await Promise.all([import('../src/backup/triggers.js'), import('../src/domain/redact.js')]);
  if (e instanceof RequestError) return json(e.status, { error: e.message });
  const message = redactSecrets((e as Error).message ?? String(e));
  context.error(`${what} failed: ${message}`);
  return json(503, { error: `${what} failed: ${message}` }, { 'Retry-After': '30' });
}

async function audit(record: AuditRecord): Promise<void> {
  await (await auditStore()).write([record]);
}

type Kind = 'backup' | 'restore' | 'verify';

/** Operators start backups, verifications and restores; restoring cluster-scoped RBAC needs an Approver (docs/security.md). */
function need(kind: Kind, body: Record<string, unknown>) {
  if (kind === 'restore' && body['clusterRbac'] === true) return { role: APPROVER_ROLE, purpose: 'restore cluster-scoped RBAC (clusterRbac)' };
  return { role: OPERATOR_ROLE, purpose: kind === 'verify' ? 'verify backups' : `start ${kind}s` };
}

const STATUS_URI: Record<Kind, (r: { instanceId: string; input: unknown }) => string> = {
  backup: (r) => `/api/backups/${(r.input as { backupId: string }).backupId}`,
  restore: (r) => `/api/restores/${encodeURIComponent(r.instanceId)}`,
  verify: (r) => `/api/verifications/${encodeURIComponent(r.instanceId)}`,
};

async function start(
  kind: Kind,
  request: HttpRequest,
  client: Parameters<typeof durableBackupInstances>[0],
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const read = await readJson(request);
  if (!read.ok) return read.response;
  const body = read.body;
  const who = identify(request, body, need(kind, body));
  if (!who.ok) return refused(who);
  const checked = await validBody(kind === 'backup' ? 'backupsStart' : kind === 'verify' ? 'backupsVerify' : 'restoresStart', body);
  if (!checked.ok) return checked.response;
  try {
    const [t, env] = await Promise.all([import('../src/backup/triggers.js'), backupEnv()]);
    const actor = actorOf(who);
    const now = new Date();
    const req =
      kind === 'backup'
        ? t.backupRequest(env.backups, checked.value as BackupRequestBody, now, actor)
        : kind === 'verify'
          ? t.verifyRequest(env.backups, request.params['id'] ?? '', checked.value as BackupVerifyBody, now, actor)
          : t.restoreRequest(env.backups, checked.value as RestoreRequestBody, now, actor);
    const result = await durableBackupInstances(client).startOnce(req.orchestration, req.instanceId, req.input);
    await audit({
      id: `${req.instanceId}:request`,
      at: now.toISOString(),
      kind: 'decision',
      actor,
      proof: who.proof,
      instanceId: req.instanceId,
      runbook: kind,
      decision: `${kind}-requested`,
      result,
      detail: JSON.stringify(req.input).slice(0, 2000),
    });
    return json(202, { instanceId: req.instanceId, result, input: req.input, statusUri: STATUS_URI[kind](req) });
  } catch (e) {
    return failure(e, context, `start ${kind}`);
  }
}

clientHttp('backupsStart', { route: 'backups', methods: ['POST'], authLevel: 'function', handler: (r, c, ctx) => start('backup', r, c, ctx) });
clientHttp('restoresStart', { route: 'restores', methods: ['POST'], authLevel: 'function', handler: (r, c, ctx) => start('restore', r, c, ctx) });
clientHttp('backupsVerify', { route: 'backups/{id}/verify', methods: ['POST'], authLevel: 'function', handler: (r, c, ctx) => start('verify', r, c, ctx) });

/** The audit's verification results (src/backup/verify-status.ts); null when the audit cannot be read. */
async function lastVerifications(cluster: string | undefined, context: InvocationContext): Promise<AuditRecord[] | null> {
  const { VERIFY_LOOKBACK } = await import('../src/backup/verify-status.js');
  try {
    const audit = await auditStore();
    const r = await audit.query({ since: VERIFY_LOOKBACK, decision: 'verify', kind: 'result', limit: 1000, ...(cluster ? { cluster } : {}) });
    return r.items;
  } catch (e) {
    const { redactSecrets } = await import('../src/domain/redact.js');
    context.warn(`backups list: audit query failed: ${redactSecrets((e as Error).message)}`);
    return null;
  }
}

clientHttp('backupsList', {
  route: 'backups',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, _client, context) => {
    try {
      const q = await validQuery<{ cluster?: string }>(request, 'backupsList');
      if (!q.ok) return q.response;
      const [{ listAll }, env] = await Promise.all([import('../src/backup/triggers.js'), backupEnv()]);
      const cluster = q.value.cluster;
      if (cluster !== undefined && !env.backups.clusters.some((c) => c.cluster === cluster))
        return json(400, { error: `cluster must be one of ${env.backups.clusters.map((c) => c.cluster).join(', ')}` });
      const [items, verifications] = await Promise.all([listAll(env, cluster), lastVerifications(cluster, context)]);
      const { withLastVerification } = await import('../src/backup/verify-status.js');
      return json(200, {
        items: withLastVerification(items, verifications ?? []),
        ...(verifications === null ? { warnings: ['the audit log could not be read: the last verification of each backup is not shown; retry shortly'] } : {}),
      });
    } catch (e) {
      return failure(e, context, 'list backups');
    }
  },
});

clientHttp('backupsShow', {
  route: 'backups/{id}',
  methods: ['GET'],
  authLevel: 'function',
  handler: async (request, client, context) => {
    try {
      const q = await validQuery<{ cluster?: string; items?: 'true' | 'false' }>(request, 'backupsShow');
      if (!q.ok) return q.response;
      const [{ showBackup }, env] = await Promise.all([import('../src/backup/triggers.js'), backupEnv()]);
      const id = request.params['id'] ?? '';
      const shown = await showBackup(env, durableBackupInstances(client), id, q.value.cluster, q.value.items === 'true');
      return shown ? json(200, shown) : json(404, { error: `no backup ${id}` });
    } catch (e) {
      return failure(e, context, 'show backup');
    }
  },
});

/** GET of an instance a POST above started: 400 for an ID of another kind, 404 unknown; `view` shapes the answer. */
function instanceRoute(name: string, route: string, pattern: RegExp, what: string, from: string, view: (s: InstanceInfo) => Promise<object> | object): void {
  clientHttp(name, {
    route,
    methods: ['GET'],
    authLevel: 'function',
    handler: async (request, client, context) => {
      try {
        const id = request.params['id'] ?? '';
        if (!pattern.test(id)) return json(400, { error: `id must be the instanceId ${from} returned` });
        const s = await durableBackupInstances(client).status(id);
        return s ? json(200, { instanceId: id, ...s, ...(await view(s)) }) : json(404, { error: `no ${what} ${id}` });
      } catch (e) {
        return failure(e, context, `${what} status`);
      }
    },
  });
}

instanceRoute('restoresStatus', 'restores/{id}', /^restore:[a-z0-9-]+:\d{8}T\d{6}Z-[0-9a-f]+$/, 'restore', 'POST /api/restores', () => ({}));
// The verdict once the verification has completed (src/backup/verify-verdict.ts), null before.
instanceRoute(
  'verificationsStatus',
  'verifications/{id}',
  /^verify:[a-z0-9-]+:[\w-]+:\d{8}T\d{6}Z$/,
  'verification',
  'POST /api/backups/{id}/verify',
  async (s) => {
    const { verifyVerdict } = await import('../src/backup/verify-verdict.js');
    const report = s.runtimeStatus === 'Completed' ? (s.output as Parameters<typeof verifyVerdict>[0] | null) : null;
    return { verdict: report ? verifyVerdict(report) : null };
  },
);
