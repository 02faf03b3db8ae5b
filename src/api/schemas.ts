// The HTTP API's request and response shapes as zod schemas: the one description the OpenAPI
// document (src/api/openapi.ts) is generated from with z.toJSONSchema, and the conformance test
// checks observed responses against. Objects are loose (extra fields allowed: responses grow).
import { z } from 'zod';

export const error = z.looseObject({ error: z.string(), parameter: z.string().optional() }).describe('What is wrong and how to fix it; `parameter` names the field.');
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
export const pauseState = z.looseObject({ paused: z.boolean(), source: z.union([z.string(), z.null()]).optional(), setting: z.boolean(), switch: pauseSwitch, note: z.string().optional() });
export const pauseRequest = z.object({ paused: z.boolean(), reason: z.string().min(1).max(1000), by: z.string().max(256).optional().describe('Required without an Easy Auth principal') });

const param = z.looseObject({ kind: z.string(), required: z.boolean().optional(), description: z.string().optional() });
export const runbookList = z.looseObject({ runbooks: z.array(z.looseObject({ name: z.string(), description: z.string(), approval: z.string(), params: z.record(z.string(), param) })) });
export const runbookStart = z.object({
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  dryRun: z.boolean().optional(),
  cluster: z.string().optional(),
  requestedBy: z.string().optional(),
  reason: z.string().optional(),
});
const runLinks = { statusUrl: z.string().optional(), approveUrl: z.string().optional(), rejectUrl: z.string().optional(), cancelUrl: z.string().optional() };
export const runStarted = z.looseObject({ id: z.string(), idempotencyKey: z.string().optional(), existing: z.boolean().optional(), ...runLinks });
export const runStatus = z.looseObject({ id: z.string(), runtimeStatus: z.string(), phase: z.union([z.string(), z.null()]).optional(), runbook: z.string().optional(), target: z.string().optional(), dryRun: z.boolean().optional() });
export const runDecision = z.object({ approver: z.string().optional(), comment: z.string().max(500).optional(), reason: z.string().optional() });
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
  rotationSecrets: z.array(z.looseObject({ name: z.string(), strategy: z.string() })),
  backupClusters: z.array(z.string()),
  dryRunDefault: z.boolean(),
});

export const rotationStart = z.object({ secret: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/), dryRun: z.boolean().optional(), version: z.string().optional() });
export const rotationDecision = z.looseObject({ decision: z.string(), secretName: z.string().optional(), instanceId: z.string().optional() });
export const durableStatus = z.looseObject({ instanceId: z.string(), runtimeStatus: z.string().optional(), customStatus: z.unknown().optional() });
export const rotationApproval = z.object({ approved: z.boolean() });

export const budgetStatus = z.looseObject({ name: z.string(), stages: z.array(z.looseObject({ name: z.string(), threshold: z.number(), state: z.string() })) });
export const budgetEvaluate = z.object({ mode: z.enum(['dry-run', 'enforce']).optional(), requestedBy: z.string().optional() });
export const budgetApproval = z.object({ approve: z.boolean(), by: z.string().optional() });
export const accepted = z.looseObject({}).describe('Accepted; the body says what was started or raised');

export const backupRequest = z.object({ cluster: z.string().optional(), parts: z.array(z.string()).optional(), namespaces: z.array(z.string()).optional(), databases: z.array(z.string()).optional(), retention: z.boolean().optional() });
export const restoreRequest = z.looseObject({ cluster: z.string().optional(), backupId: z.string(), dryRun: z.boolean().optional(), volumes: z.record(z.string(), z.string()).optional() });
export const started = z.looseObject({ instanceId: z.string(), result: z.string(), statusUri: z.string() });
export const backupSummary = z.looseObject({ backupId: z.string(), cluster: z.string() });
export const backupList = z.looseObject({ items: z.array(backupSummary) });
export const backupManifest = z.looseObject({ backupId: z.string(), cluster: z.string(), itemCount: z.number().int().optional(), items: z.array(z.looseObject({})).optional(), status: z.string().optional() });

const series = z.looseObject({ at: z.array(z.string()), actual: z.array(z.union([z.number(), z.null()])), forecast: z.array(z.union([z.number(), z.null()])), upper: z.array(z.union([z.number(), z.null()])), predictiveCapacity: z.array(z.union([z.number(), z.null()])), reactiveCapacity: z.array(z.union([z.number(), z.null()])) });
export const scalingReport = z.looseObject({
  generatedAt: iso,
  days: z.number().int(),
  pools: z.array(z.looseObject({ cluster: z.string(), pool: z.string(), configuredMode: z.string(), mode: z.union([z.string(), z.null()]), modeReasons: z.array(z.string()), intervals: z.number().int(), from: nullableIso, to: nullableIso, forecast: z.looseObject({}), provisioning: z.looseObject({}), series: series.optional() })),
});

export const webhookAnswer = z.looseObject({}).describe('Per-alert decisions (docs/runbooks)');
export const openApiDocument = z.looseObject({ openapi: z.string(), paths: z.looseObject({}) });

const check = z.looseObject({ check: z.string(), status: z.enum(['ok', 'fail']), detail: z.string(), fix: z.string().optional() });
export const health = z.looseObject({ healthy: z.boolean(), checks: z.array(check) }).describe('Each check with its status; a failed one names the fix');
export const doctor = z.looseObject({ ok: z.boolean().optional(), failed: z.number().int().optional(), rows: z.array(z.looseObject({ check: z.string(), status: z.enum(['ok', 'fail', 'skip']), detail: z.string(), fix: z.string().optional() })).optional(), error: z.string().optional() }).describe('Each check with its status and the fix; `error` when the checks could not start');
