// Every HTTP route of the function app, described once: method, path, who may call it, query
// parameters, request body and responses (zod schemas from src/api/schemas.ts). The OpenAPI
// document is generated from this list, and test/api/openapi.test.ts fails when a
// registered route is missing here or a response the suite observes does not match.
import { z } from 'zod';
import * as s from './schemas.js';

export type Method = 'GET' | 'POST';
export type Identity = 'anonymous' | 'function key' | 'function key + Approver role' | 'function key + Operator role' | 'webhook credential';

export interface RouteDoc {
  /** The registered function name (operationId). */
  name: string;
  method: Method;
  /** Route as registered, under /api: `runbooks/{name}`. */
  route: string;
  tag: string;
  summary: string;
  identity: Identity;
  /** Query parameters (string values); handlers parse with it through src/api/validate.ts. */
  query?: z.ZodObject;
  /** Request body; handlers parse with it through src/api/validate.ts. */
  body?: z.ZodType;
  /** A body checked by dedicated code instead, and why (the schema only documents it). */
  bodyCheckedBy?: string;
  /** Status -> JSON schema, or the media type of a non-JSON answer. */
  responses: Record<number, z.ZodType | { mediaType: string; description: string }>;
}

const errors = { 400: s.error, 404: s.error, 503: s.error };
const html = { mediaType: 'text/html', description: 'an HTML page' };
const sloReport = z.object({
  slos: z.array(
    z.looseObject({ slo: z.string(), service: z.string(), objective: z.number(), window: z.string(), state: z.looseObject({ status: z.string() }).nullable() }),
  ),
  policies: z.array(z.looseObject({ name: z.string(), slos: z.array(z.string()) })),
});
const adhocWindow = z.looseObject({ id: z.string(), from: z.string(), to: z.string(), by: z.string(), reason: z.string() });
const windowList = z.looseObject({ windows: z.array(adhocWindow) });
const oneWindow = z.looseObject({ window: adhocWindow });

export const ROUTES: RouteDoc[] = [
  {
    name: 'alertmanagerWebhook',
    method: 'POST',
    route: 'alerts/alertmanager',
    tag: 'alerts',
    summary: 'Alertmanager webhook (payload v4): decide and start remediations',
    identity: 'webhook credential',
    body: s.alertmanagerPayload,
    bodyCheckedBy: 'src/intake/payload.ts: runs on every alert (benchmarked), names the exact field, and copies labels so hostile keys never reach a prototype',
    responses: { 200: s.webhookAnswer, 400: s.error, 401: s.error, 413: s.error, 503: s.error },
  },
  {
    name: 'auditQuery',
    method: 'GET',
    route: 'audit',
    tag: 'audit',
    summary: 'The audit log, newest first, filtered and paged server-side',
    identity: 'function key',
    query: s.auditQuery,
    responses: { 200: s.auditPage, 400: s.error, 503: s.error },
  },
  {
    name: 'pauseGet',
    method: 'GET',
    route: 'pause',
    tag: 'control',
    summary: 'The global pause switch and the effective state',
    identity: 'function key',
    responses: { 200: s.pauseState, 503: s.error },
  },
  {
    name: 'pauseSet',
    method: 'POST',
    route: 'pause',
    tag: 'control',
    summary: 'Pause or resume all automated actions (audited)',
    identity: 'function key + Operator role',
    body: s.pauseRequest,
    responses: { 200: s.pauseState, 400: s.error, 503: s.error },
  },
  {
    name: 'runsList',
    method: 'GET',
    route: 'runs',
    tag: 'runs',
    summary: 'Live orchestrations (and finished ones with ?since): phase, progress, waiting approvals',
    identity: 'function key',
    query: s.runsQuery,
    responses: { 200: s.runList, 400: s.error, 503: s.error },
  },
  {
    name: 'consoleOverview',
    method: 'GET',
    route: 'overview',
    tag: 'console',
    summary: 'Names from the operations config the console asks about',
    identity: 'function key',
    responses: { 200: s.overview, 503: s.error },
  },
  {
    name: 'runbooksList',
    method: 'GET',
    route: 'runbooks',
    tag: 'runbooks',
    summary: 'The runbook catalogue with parameter schemas',
    identity: 'function key',
    responses: { 200: s.runbookList },
  },
  {
    name: 'runbooksStart',
    method: 'POST',
    route: 'runbooks/{name}',
    tag: 'runbooks',
    summary: 'Start an on-call runbook (Idempotency-Key header)',
    identity: 'function key + Operator role',
    body: s.runbookStart,
    responses: { 200: s.runStarted, 202: s.runStarted, 401: s.error, 403: s.error, 409: s.error, ...errors },
  },
  {
    name: 'runbooksRunStatus',
    method: 'GET',
    route: 'runbooks/runs/{id}',
    tag: 'runbooks',
    summary: "A run's phase, plan, approval and result",
    identity: 'function key',
    responses: { 200: s.runStatus, ...errors },
  },
  {
    name: 'runbooksRunApprove',
    method: 'POST',
    route: 'runbooks/runs/{id}/approve',
    tag: 'runbooks',
    summary: 'Approve a run waiting for approval (GET: a confirmation page)',
    identity: 'function key + Approver role',
    body: s.runDecision,
    responses: { 202: s.runDecided, 401: s.error, 403: s.error, 409: s.error, ...errors },
  },
  {
    name: 'runbooksRunApprove',
    method: 'GET',
    route: 'runbooks/runs/{id}/approve',
    tag: 'runbooks',
    summary: 'Confirmation page for an approval link',
    identity: 'function key',
    responses: { 200: html, 404: html, 409: html },
  },
  {
    name: 'runbooksRunReject',
    method: 'POST',
    route: 'runbooks/runs/{id}/reject',
    tag: 'runbooks',
    summary: 'Reject a run waiting for approval',
    identity: 'function key + Approver role',
    body: s.runDecision,
    responses: { 202: s.runDecided, 401: s.error, 403: s.error, 409: s.error, ...errors },
  },
  {
    name: 'runbooksRunReject',
    method: 'GET',
    route: 'runbooks/runs/{id}/reject',
    tag: 'runbooks',
    summary: 'Confirmation page for a rejection link',
    identity: 'function key',
    responses: { 200: html, 404: html, 409: html },
  },
  {
    name: 'runbooksRunCancel',
    method: 'POST',
    route: 'runbooks/runs/{id}/cancel',
    tag: 'runbooks',
    summary: 'Cancel a run',
    identity: 'function key + Operator role',
    body: s.runDecision,
    responses: { 202: s.runDecided, 401: s.error, 403: s.error, 409: s.error, ...errors },
  },
  {
    name: 'rotationsStart',
    method: 'POST',
    route: 'rotations',
    tag: 'rotations',
    summary: 'Rotate a Key Vault secret now',
    identity: 'function key + Operator role',
    body: s.rotationStart,
    responses: { 200: s.rotationDecision, 202: s.rotationDecision, 404: s.rotationDecision, 400: s.error, 503: s.error },
  },
  {
    name: 'rotationsStatus',
    method: 'GET',
    route: 'rotations/{instanceId}',
    tag: 'rotations',
    summary: "A rotation's status",
    identity: 'function key',
    responses: { 200: s.durableStatus, 401: s.error, 403: s.error, 404: s.error, 503: s.error },
  },
  {
    name: 'rotationsApprove',
    method: 'POST',
    route: 'rotations/{instanceId}/approval',
    tag: 'rotations',
    summary: 'Approve or reject a rotation waiting for approval',
    identity: 'function key + Approver role',
    body: s.rotationApproval,
    responses: { 202: s.accepted, 400: s.error, 401: s.error, 403: s.error, 404: s.error, 409: s.error, 503: s.error },
  },
  {
    name: 'budgetsWebhook',
    method: 'POST',
    route: 'budgets/webhook',
    tag: 'budgets',
    summary: 'Azure Monitor action group (budget alert) webhook',
    identity: 'webhook credential',
    responses: { 200: s.accepted, 202: s.accepted, 400: s.error, 413: s.error, 503: s.error },
  },
  {
    name: 'budgetsGet',
    method: 'GET',
    route: 'budgets/{name}',
    tag: 'budgets',
    summary: 'A budget: period, stages, actions in effect and what restore puts back',
    identity: 'function key',
    query: s.budgetQuery,
    responses: { 200: s.budgetStatus, ...errors },
  },
  {
    name: 'budgetsEvaluate',
    method: 'POST',
    route: 'budgets/{name}/evaluate',
    tag: 'budgets',
    summary: 'Evaluate a budget now (dry-run or enforce)',
    identity: 'function key + Operator role',
    body: s.budgetEvaluate,
    responses: { 200: s.accepted, 202: s.accepted, 413: s.error, ...errors },
  },
  {
    name: 'budgetsApproval',
    method: 'POST',
    route: 'budgets/{name}/approval',
    tag: 'budgets',
    summary: 'Approve or reject a budget stage waiting for approval',
    identity: 'function key + Approver role',
    body: s.budgetApproval,
    responses: { 202: s.accepted, 413: s.error, ...errors },
  },
  {
    name: 'backupsStart',
    method: 'POST',
    route: 'backups',
    tag: 'backups',
    summary: 'Start an on-demand backup',
    identity: 'function key + Operator role',
    body: s.backupRequest,
    responses: { 202: s.started, 400: s.error, 413: s.error, 503: s.error },
  },
  {
    name: 'backupsList',
    method: 'GET',
    route: 'backups',
    tag: 'backups',
    summary: 'Backups, newest first',
    identity: 'function key',
    query: s.backupsQuery,
    responses: { 200: s.backupList, 400: s.error, 503: s.error },
  },
  {
    name: 'backupsShow',
    method: 'GET',
    route: 'backups/{id}',
    tag: 'backups',
    summary: "The manifest of a backup (items with ?items=true), or a running backup's status",
    identity: 'function key',
    query: s.backupQuery,
    responses: { 200: s.backupManifest, ...errors },
  },
  {
    name: 'restoresStart',
    method: 'POST',
    route: 'restores',
    tag: 'backups',
    summary: 'Start a restore (dry-run unless dryRun is false)',
    identity: 'function key + Operator role',
    body: s.restoreRequest,
    responses: { 202: s.started, 400: s.error, 413: s.error, 503: s.error },
  },
  {
    name: 'restoresStatus',
    method: 'GET',
    route: 'restores/{id}',
    tag: 'backups',
    summary: "A restore's status",
    identity: 'function key',
    responses: { 200: s.durableStatus, ...errors },
  },
  {
    name: 'scalingReport',
    method: 'GET',
    route: 'scaling/report',
    tag: 'scaling',
    summary: 'Per pool: forecast quality, mode and reasons, predictive vs reactive (series=true: the per-interval series)',
    identity: 'function key',
    query: s.scalingQuery,
    responses: { 200: s.scalingReport, 400: s.error, 404: s.error, 503: s.error },
  },
  {
    name: 'sloStatus',
    method: 'GET',
    route: 'slo',
    tag: 'slo',
    summary: "Each SLO's last error-budget state (budget left, burn rates, status) and the error-budget policies",
    identity: 'function key',
    responses: { 200: sloReport, 500: s.error, 503: s.error },
  },
  {
    name: 'windowsList',
    method: 'GET',
    route: 'windows',
    tag: 'windows',
    summary: 'Ad-hoc maintenance windows',
    identity: 'function key',
    responses: { 200: windowList, 503: s.error },
  },
  {
    name: 'windowsOpen',
    method: 'POST',
    route: 'windows',
    tag: 'windows',
    summary: 'Open an ad-hoc maintenance window for one scope (1m-24h, audited)',
    identity: 'function key + Operator role',
    body: s.windowOpen,
    responses: { 201: oneWindow, 400: s.error, 401: s.error, 403: s.error, 503: s.error },
  },
  {
    name: 'windowsClose',
    method: 'POST',
    route: 'windows/{id}/close',
    tag: 'windows',
    summary: 'Close an ad-hoc maintenance window early (audited)',
    identity: 'function key + Operator role',
    body: s.windowClose,
    responses: { 200: oneWindow, 400: s.error, 401: s.error, 403: s.error, 404: s.error, 503: s.error },
  },
  {
    name: 'health',
    method: 'GET',
    route: 'health',
    tag: 'console',
    summary: 'Readiness: settings, ops.yaml, storage and the Durable task hub; 503 names what is missing and the fix',
    identity: 'function key',
    responses: { 200: s.health, 503: s.health },
  },
  {
    name: 'doctor',
    method: 'GET',
    route: 'doctor',
    tag: 'console',
    summary: 'aksops doctor run by the app: per cluster reachability and every declared permission, Alertmanager, storage',
    identity: 'function key',
    responses: { 200: s.doctor, 503: s.doctor },
  },
  {
    name: 'openApi',
    method: 'GET',
    route: 'openapi.json',
    tag: 'console',
    summary: 'This description (OpenAPI 3.1)',
    identity: 'anonymous',
    responses: { 200: s.openApiDocument },
  },
  {
    name: 'consoleAssets',
    method: 'GET',
    route: 'console/{*path}',
    tag: 'console',
    summary: 'The web console (static files; the data comes from the routes above)',
    identity: 'anonymous',
    responses: {
      200: { mediaType: 'text/html', description: 'a console file (HTML, JavaScript, CSS)' },
      304: { mediaType: 'text/plain', description: 'not modified' },
      404: { mediaType: 'text/plain', description: 'no such file' },
    },
  },
];
