// The HTTP API's request and response shapes as zod schemas: the one description the OpenAPI
// document (src/api/openapi.ts) is generated from with z.toJSONSchema, and the conformance test
// checks observed responses against. Objects are loose (extra fields allowed: responses grow).
import { z } from 'zod';
import { BACKUP_PART_TYPES } from '../backup/manifest.js';
import { WINDOW_JOBS } from '../config/windows-schema.js';

// Request pieces: the message says what is expected (the 400 prefixes the field and adds the fix).
const bool = z.boolean({ error: 'must be true or false (a JSON boolean)' });
const names = z.array(z.string().min(1, { error: 'must not be empty' }), { error: 'must be a list of names' });
const claimedName = z.string({ error: 'must be a string' }).max(256, { error: 'longer than 256 characters' });
/** A query parameter that is a whole number from min to max (described as an integer; the string is converted). */
const wholeNumber = (min: number, max: number, error = `must be a whole number from ${min} to ${max}`) => {
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const trueFalse = z.enum(['true', 'false'], { error: 'must be true or false' });

export const error = z
  .looseObject({ error: z.string(), parameter: z.string().optional() })
  .describe('What is wrong and how to fix it; `parameter` names the field.');
const iso = z.string().describe('ISO 8601 time');
const nullableIso = z.union([iso, z.null()]);

export const auditRecord = z.looseObject({
  id: z.string(),
  at: iso,
  kind: z.string(),
  actor: z.string(),
  instanceId: z.string().optional(),
  fingerprint: z.string().optional(),
  alertname: z.string().optional(),
  rule: z.string().optional(),
  runbook: z.string().optional(),
  target: z.string().optional().describe('cluster/namespace/Kind/name'),
  decision: z.string().optional(),
  dryRun: z.boolean().optional(),
  result: z.string().optional(),
  error: z.string().optional(),
  detail: z.string().optional(),
});

export const auditPage = z.looseObject({
  items: z.array(auditRecord).describe('Newest first'),
  truncated: z.boolean(),
  since: iso,
  until: iso,
  limit: z.number().int(),
  next: z.string().optional().describe('Pass as `cursor` (same filters) for the next page'),
});

const pauseSwitch = z.union([z.looseObject({ paused: z.boolean(), reason: z.string(), by: z.string(), at: iso }), z.null()]);
export const pauseState = z.looseObject({
  paused: z.boolean(),
  source: z.union([z.string(), z.null()]).optional(),
  setting: z.boolean(),
  switch: pauseSwitch,
  note: z.string().optional(),
});
const reasonText = 'required: say why, e.g. "reason": "maintenance window INC-1234"';
export const pauseRequest = z.object({
  paused: bool,
  reason: z.string({ error: reasonText }).trim().min(1, { error: reasonText }).max(1000, { error: 'longer than 1000 characters' }),
  by: claimedName.optional().describe('Required without an Easy Auth principal'),
});

const param = z.looseObject({ kind: z.string(), required: z.boolean().optional(), description: z.string().optional() });
export const runbookList = z.looseObject({
  runbooks: z.array(z.looseObject({ name: z.string(), description: z.string(), approval: z.string(), params: z.record(z.string(), param) })),
});
export const runbookStart = z.strictObject({
  params: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }), {
      error: 'must be an object of parameter names to values',
    })
    .optional()
    .describe("The runbook's parameters (GET /api/runbooks)"),
  dryRun: bool.optional().describe('Default true'),
  overrideWindows: bool.optional().describe('true acts inside a maintenance window (docs/windows.md)'),
  cluster: z.string({ error: 'must be a configured cluster name' }).optional(),
  requestedBy: claimedName.optional(),
  reason: z.string({ error: 'must be a string' }).max(500, { error: 'longer than 500 characters' }).optional(),
});
const runLinks = { statusUrl: z.string().optional(), approveUrl: z.string().optional(), rejectUrl: z.string().optional(), cancelUrl: z.string().optional() };
export const runStarted = z.looseObject({ id: z.string(), idempotencyKey: z.string().optional(), existing: z.boolean().optional(), ...runLinks });
export const runStatus = z.looseObject({
  id: z.string(),
  runtimeStatus: z.string(),
  phase: z.union([z.string(), z.null()]).optional(),
  runbook: z.string().optional(),
  target: z.string().optional(),
  dryRun: z.boolean().optional(),
});
export const runDecision = z.object({
  approver: claimedName.optional(),
  comment: z.string({ error: 'must be a string' }).max(500, { error: 'longer than 500 characters' }).optional(),
  reason: z.string({ error: 'must be a string' }).max(500, { error: 'longer than 500 characters' }).optional(),
});
export const runDecided = z.looseObject({ id: z.string(), by: z.string(), decision: z.string().optional(), cancelled: z.boolean().optional(), ...runLinks });

export const runSummary = z.looseObject({
  instanceId: z.string(),
  orchestration: z.string(),
  runtimeStatus: z.string(),
  createdTime: iso,
  lastUpdatedTime: iso,
  phase: z.union([z.string(), z.null()]),
  progress: z.union([z.looseObject({ done: z.number(), total: z.number() }), z.null()]),
  runbook: z.union([z.string(), z.null()]),
  target: z.union([z.string(), z.null()]),
  dryRun: z.union([z.boolean(), z.null()]),
  awaitingApproval: z.boolean(),
  plan: z.union([z.looseObject({ summary: z.string().optional(), steps: z.array(z.string()).optional() }), z.null()]),
  approval: z.union([z.looseObject({ reason: z.string().optional(), deadline: z.string().optional() }), z.null()]),
  decide: z.union([z.looseObject({ approve: z.string(), reject: z.string(), cancel: z.string().optional() }), z.null()]),
});
export const runList = z.looseObject({ items: z.array(runSummary), truncated: z.boolean() });

export const overview = z.looseObject({
  clusters: z.array(z.string()),
  budgets: z.array(z.string()),
  scalingPools: z.array(z.looseObject({ cluster: z.string(), pool: z.string(), mode: z.string() })),
  rotationSecrets: z.array(
    z.looseObject({
      name: z.string(),
      strategy: z.string(),
      last: z.union([z.looseObject({ at: z.string(), result: z.string(), instanceId: z.string() }), z.null()]),
      lastRotatedAt: z.union([z.string(), z.null()]),
      nextDue: z.union([z.string(), z.null()]).describe('Last successful rotation + validityDays - rotation.window; null when none is in the audit'),
      due: z.enum(['now', 'scheduled', 'unknown']),
      why: z.string(),
    }),
  ),
  backupClusters: z.array(z.string()),
  dryRunDefault: z.boolean(),
});

export const rotationStart = z.object({
  secret: z
    .string({ error: 'required: the Key Vault secret name' })
    .regex(/^[0-9a-zA-Z-]{1,127}$/, { error: 'must be a Key Vault secret name (1-127 letters, digits, -)' }),
  dryRun: bool.optional(),
  version: z
    .string({ error: 'must be a Key Vault version ID' })
    .regex(/^[0-9a-zA-Z]{1,64}$/, { error: 'must be a Key Vault version ID' })
    .optional()
    .describe('The current version; starting the same version twice does nothing'),
});
export const rotationDecision = z.looseObject({ decision: z.string(), secretName: z.string().optional(), instanceId: z.string().optional() });
export const durableStatus = z.looseObject({ instanceId: z.string(), runtimeStatus: z.string().optional(), customStatus: z.unknown().optional() });
export const rotationApproval = z.object({ approved: bool });

export const budgetStatus = z.looseObject({
  name: z.string(),
  stages: z.array(z.looseObject({ name: z.string(), threshold: z.number(), state: z.string() })),
  waiting: z
    .union([z.looseObject({ stage: z.string(), instanceId: z.string(), requestedAt: z.string() }), z.null()])
    .describe('The stage waiting for an Approver'),
});
export const budgetEvaluate = z.object({
  mode: z.enum(['dry-run', 'enforce'], { error: 'expected "dry-run" or "enforce"' }).optional().describe('Default dry-run'),
  requestedBy: claimedName.optional(),
});
export const budgetApproval = z.object({ approve: bool, by: claimedName.optional() });
export const accepted = z.looseObject({}).describe('Accepted; the body says what was started or raised');

const clusterName = z.string({ error: 'must be a configured cluster name' });
export const backupRequest = z.strictObject({
  cluster: clusterName.optional().describe('Required when several clusters are configured'),
  parts: z
    .array(z.enum(BACKUP_PART_TYPES as [string, ...string[]], { error: `must be one of ${BACKUP_PART_TYPES.join(', ')}` }), {
      error: 'must be a list of parts',
    })
    .optional()
    .describe('Default: every part'),
  namespaces: names.optional(),
  databases: names.optional(),
  retention: bool.optional().describe('Apply retention after the backup'),
});
const nameMap = (what: string) =>
  z.record(z.string(), z.string({ error: `must map to a ${what} name` }), { error: `must be an object of names to ${what} names` });
export const restoreRequest = z.strictObject({
  cluster: clusterName.optional(),
  sourceCluster: clusterName.optional().describe("Restore another cluster's backup (cross-cluster)"),
  backupId: z.string({ error: 'required: a backup ID (GET /api/backups lists them)' }),
  namespaces: names.optional(),
  kinds: names.optional(),
  namespaceMap: nameMap('namespace').optional(),
  conflict: z.enum(['skip', 'update'], { error: 'must be "skip" or "update"' }).optional().describe('Default skip'),
  dryRun: bool.optional().describe('Default true'),
  databases: z
    .record(z.string(), z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, { error: 'must map to a target database name' }), {
      error: 'must be an object of dumped database names to target database names',
    })
    .optional(),
  fromSnapshots: bool.optional(),
  dashboards: names.optional().describe('Grafana dashboard uids, or ["*"]'),
  keyVaultSecrets: names.optional().describe('Key Vault secret names, or ["*"]'),
  volumes: z
    .record(z.string(), z.string({ error: 'must map to a new PVC name' }), { error: 'must be an object of "namespace/pvc" to new PVC names' })
    .optional()
    .describe('PVC file copies to restore into new PVCs: {"ns/pvc": "new-pvc"}'),
  buckets: names.optional().describe('S3 entries (backups.clusters[].s3[].name) to restore'),
  bucketMap: nameMap('S3 bucket').optional().describe('Restore an S3 entry into another bucket: {entry: bucket}'),
  clusterRbac: bool.optional().describe('Restore cluster-scoped RBAC (needs the Approver role)'),
});
export const backupVerify = z.strictObject({ cluster: clusterName.optional().describe('Required when several clusters are configured') });
export type BackupVerifyBody = z.output<typeof backupVerify>;
export const verificationStatus = durableStatus.extend({
  verdict: z.union([z.looseObject({ ok: z.boolean(), reason: z.string() }), z.null()]).describe('null until the verification has finished'),
});
export type BackupRequestBody = z.output<typeof backupRequest>;
export type RestoreRequestBody = z.output<typeof restoreRequest>;
export const started = z.looseObject({ instanceId: z.string(), result: z.string(), statusUri: z.string() });
export const backupSummary = z.looseObject({
  backupId: z.string(),
  cluster: z.string(),
  /** The newest verification in the audit (src/backup/verify-status.ts), scheduled or on demand. */
  lastVerification: z.object({ ok: z.boolean(), at: z.string(), reason: z.string(), by: z.string() }).optional(),
});
export const backupList = z.looseObject({ items: z.array(backupSummary), warnings: z.array(z.string()).optional() });
export const backupManifest = z.looseObject({
  backupId: z.string(),
  cluster: z.string(),
  itemCount: z.number().int().optional(),
  items: z.array(z.looseObject({})).optional(),
  status: z.string().optional(),
});

const series = z.looseObject({
  at: z.array(z.string()),
  actual: z.array(z.union([z.number(), z.null()])),
  forecast: z.array(z.union([z.number(), z.null()])),
  upper: z.array(z.union([z.number(), z.null()])),
  predictiveCapacity: z.array(z.union([z.number(), z.null()])),
  reactiveCapacity: z.array(z.union([z.number(), z.null()])),
});
export const scalingReport = z.looseObject({
  generatedAt: iso,
  days: z.number().int(),
  pools: z.array(
    z.looseObject({
      cluster: z.string(),
      pool: z.string(),
      configuredMode: z.string(),
      mode: z.union([z.string(), z.null()]),
      modeReasons: z.array(z.string()),
      intervals: z.number().int(),
      from: nullableIso,
      to: nullableIso,
      forecast: z.looseObject({}),
      provisioning: z.looseObject({}),
      series: series.optional(),
    }),
  ),
});

const k8sName = z
  .string({ error: 'must be a Kubernetes name' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be a Kubernetes namespace or node pool name' });
export const windowOpen = z.strictObject({
  cluster: clusterName,
  namespace: k8sName.optional(),
  nodePool: k8sName.optional(),
  jobs: z
    .array(z.enum(WINDOW_JOBS, { error: `must be one of ${WINDOW_JOBS.join(', ')}` }), { error: `must be a list of ${WINDOW_JOBS.join(', ')}` })
    .min(1, { error: `must be a non-empty list of ${WINDOW_JOBS.join(', ')}` })
    .optional(),
  duration: z.string({ error: 'required, between 1m and 24h. Fix: e.g. "duration": "2h"' }),
  reason: z.string({ error: reasonText }).trim().min(1, { error: reasonText }),
  requestedBy: claimedName.optional(),
});
export const windowClose = z.object({ reason: z.string({ error: 'must be a string' }).optional(), requestedBy: claimedName.optional() });

// Query strings (every value arrives as a string; only these keys are read).
const text = (description: string) => z.string().max(512, { error: 'longer than 512 characters' }).optional().describe(description);
export const auditQuery = z.object({
  since: text('ISO time, date or duration ago (24h); default until - 7d'),
  until: text('same forms; default now'),
  cluster: text('targets in this cluster'),
  namespace: text('targets in this namespace (needs cluster)'),
  target: text('exact cluster/namespace/Kind/name'),
  rule: text('rule name'),
  decision: text('decision (start, duplicate, approve, ...)'),
  kind: text('decision, action, result, approval, control, ...'),
  instanceId: text('orchestration instance'),
  limit: wholeNumber(1, Number.MAX_SAFE_INTEGER, 'must be a whole number of at least 1 (at most 1000 are returned)')
    .optional()
    .describe('default 100; at most 1000 are returned'),
  cursor: z.string().max(2048, { error: 'longer than 2048 characters' }).optional().describe('`next` of the previous page'),
});
export const runsQuery = z.object({
  since: text('ISO time or duration ago: add finished runs created since'),
  limit: wholeNumber(1, 500).optional().describe('1..500, default 100'),
});
export const budgetQuery = z.object({ at: text('ISO time inside the period (default now)') });
export const backupsQuery = z.object({ cluster: text('one cluster') });
export const backupQuery = z.object({ cluster: text('the cluster'), items: trueFalse.optional().describe('true: include the items') });
export const scalingQuery = z.object({
  cluster: text('one cluster'),
  pool: text('one pool'),
  days: wholeNumber(1, 30).optional().describe('1..30, default 7'),
  series: trueFalse.optional().describe('true: add the chart series'),
});

const labels = z.record(z.string(), z.string());
export const alertmanagerPayload = z
  .looseObject({
    version: z.string(),
    groupKey: z.string(),
    truncatedAlerts: z.number().int().optional(),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string(),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: z.string().describe('Never called (docs/security.md)'),
    alerts: z.array(
      z.looseObject({
        status: z.enum(['firing', 'resolved']),
        labels,
        annotations: labels,
        startsAt: iso,
        endsAt: iso,
        generatorURL: z.string().optional(),
        fingerprint: z.string(),
      }),
    ),
  })
  .describe('Alertmanager webhook payload version 4; unknown fields are accepted');

export const webhookAnswer = z.looseObject({}).describe('Per-alert decisions (docs/runbooks)');
export const openApiDocument = z.looseObject({ openapi: z.string(), paths: z.looseObject({}) });

const check = z.looseObject({ check: z.string(), status: z.enum(['ok', 'fail']), detail: z.string(), fix: z.string().optional() });
export const health = z.looseObject({ healthy: z.boolean(), checks: z.array(check) }).describe('Each check with its status; a failed one names the fix');
export const doctor = z
  .looseObject({
    ok: z.boolean().optional(),
    failed: z.number().int().optional(),
    rows: z.array(z.looseObject({ check: z.string(), status: z.enum(['ok', 'fail', 'skip']), detail: z.string(), fix: z.string().optional() })).optional(),
    error: z.string().optional(),
  })
  .describe('Each check with its status and the fix; `error` when the checks could not start');

// Responses of the slo and windows routes.
export const sloReport = z.object({
  slos: z.array(
    z.looseObject({ slo: z.string(), service: z.string(), objective: z.number(), window: z.string(), state: z.looseObject({ status: z.string() }).nullable() }),
  ),
  policies: z.array(z.looseObject({ name: z.string(), slos: z.array(z.string()) })),
});
export const adhocWindow = z.looseObject({ id: z.string(), from: z.string(), to: z.string(), by: z.string(), reason: z.string() });
export const windowList = z.looseObject({ windows: z.array(adhocWindow) });
export const oneWindow = z.looseObject({ window: adhocWindow });
