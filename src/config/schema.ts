// The operations config (ops.yaml): its shape, and the checks that cross-reference its parts.
// Errors name the path (rules[2].matchers[0]), the problem and the fix. See docs/configuration.md.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { parseMatchers } from '../domain/matchers.js';
import { compileTemplate } from '../domain/template.js';
import { RUNBOOKS, runbookNames } from '../runbooks/catalogue.js';
import { checkName } from '../domain/k8s-names.js';
import { checkScaling, scalingSchema } from './scaling-schema.js';
import { checkRotation, rotationSchema } from './rotation-schema.js';
import { alertmanagerSchema, approvalsSchema, checkRunbooksConfig, runbooksSchema } from './runbooks-schema.js';
import { backupsSchema, checkBackups } from './backup-schema.js';
import { budgetsSchema, checkBudgets } from './budget-schema.js';
import { checkSlo, sloSectionSchema } from './slo-schema.js';
import { checkWindows, windowsSchema } from './windows-schema.js';
import { checkPaging, pagingSchema } from './paging-schema.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like Alertmanager durations, e.g. 30s, 15m, 1h, 1h30m',
});

const guardSchema = z.strictObject({
  cooldown: duration.optional(),
  maxActionsPerWindow: z.number().int().min(1).max(1000).optional(),
  window: duration.optional(),
  circuitBreakerThreshold: z.number().int().min(1).max(100).optional(),
});

const nameList = z.array(z.string().min(1)).default([]);

const clusterSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
      message: 'must be lower-case letters, digits and "-" (at most 63). Fix: use a short slug such as ms5-prod',
    }),
    azure: z
      .strictObject({
        subscriptionId: z.uuid({ message: 'is not a subscription ID (a GUID). Fix: copy it from `az account show --query id`' }),
        resourceGroup: z.string().min(1).max(90),
        clusterName: z.string().min(1).max(63),
      })
      .optional(),
    kubeContext: z.string().min(1).optional(),
    /** Alert labels that identify this cluster (usually Prometheus external labels). */
    alertLabels: z.record(z.string(), z.string()).default({}),
    protectedNamespaces: nameList,
    protectedNodePools: nameList,
    /** What the cluster is for (dev, staging, production): budgets stop only non-production clusters. */
    environment: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, { message: 'must be a short lower-case word. Fix: e.g. dev, staging or production' })
      .optional(),
    /** The cluster's node pools (ARM agentPools), so actions naming a pool can be checked (budgets). */
    nodePools: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, {
            message: 'is not an AKS node pool name (lower-case letters and digits, at most 12, starting with a letter). Fix: e.g. spot',
          }),
          mode: z.enum(['System', 'User']),
        }),
      )
      .optional(),
  })
  .refine((c) => c.azure !== undefined || c.kubeContext !== undefined, {
    message:
      'names neither "azure" nor "kubeContext". Fix: give azure {subscriptionId, resourceGroup, clusterName} for Azure, or kubeContext for a local kubeconfig context',
  });

const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    message: 'must be letters, digits, ".", "_" or "-" (at most 63). Fix: e.g. crashloop-restart',
  }),
  description: z.string().optional(),
  matchers: z.array(z.string()).min(1, { message: 'is empty. Fix: add at least one matcher, e.g. alertname="KubePodCrashLooping"' }),
  runbook: z.string(),
  params: z.record(z.string(), z.string()).default({}),
  dryRun: z.boolean().optional(),
  continue: z.boolean().default(false),
  clusters: z.array(z.string()).optional(),
  guard: guardSchema.optional(),
  verifyAfter: duration.optional(),
  /** `required`: a human approves before the action; `none`: never ask (scopes in approvals.requiredIn still do). Default: the runbook's. */
  approval: z.enum(['required', 'none']).optional(),
  /** Silence the alert in Alertmanager while the remediation runs, expire the silence after. */
  silence: z.boolean().optional(),
  /** Notification targets (notifications[].name) for this rule; default all. */
  notify: z.array(z.string()).optional(),
});

const appSetting = (example: string) => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: `must be an app setting name. Fix: e.g. ${example}` });
/** Which messages a target receives; default all of them. */
const events = z.array(z.enum(['approval-request', 'result', 'escalation'])).optional();

const notificationSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name: z.string().min(1),
    type: z.enum(['teams', 'slack']),
    /** Name of the app setting that holds the webhook URL (a credential: never in the config). */
    urlSetting: appSetting('TEAMS_WEBHOOK_URL'),
    events,
  }),
  // Azure Communication Services Email (src/notify/email.ts, docs/windows.md#email).
  z.strictObject({
    name: z.string().min(1),
    type: z.literal('email'),
    /** The Communication Services resource endpoint, https://<resource>.<geo>.communication.azure.com. */
    endpoint: z.url({
      protocol: /^https$/,
      message: 'must be the https endpoint of the Communication Services resource. Fix: e.g. https://aksops-acs.europe.communication.azure.com',
    }),
    /** The MailFrom address of a domain connected to the resource. */
    sender: z.email({ message: 'must be an email address of a domain connected to the resource. Fix: e.g. DoNotReply@ops.example.com' }),
    to: z
      .array(z.email({ message: 'must be an email address. Fix: e.g. oncall@example.com' }))
      .min(1, { message: 'is empty. Fix: list at least one recipient address' }),
    /** App setting with the resource's access key (may be a Key Vault reference); absent = the app's managed identity. */
    keySetting: appSetting('ACS_EMAIL_KEY').optional(),
    events,
  }),
]);

export const opsConfigSchema = z
  .strictObject({
    version: z.literal(1, { message: 'must be 1. Fix: add `version: 1` at the top of the file' }),
    defaults: z
      .strictObject({
        dryRun: z.boolean().default(true),
        verifyAfter: duration.default('10m'),
        guard: guardSchema.default({}),
      })
      .default({ dryRun: true, verifyAfter: '10m', guard: {} }),
    protected: z
      .strictObject({
        namespaces: nameList,
        nodePools: nameList,
      })
      .default({ namespaces: [], nodePools: [] }),
    clusters: z.array(clusterSchema).min(1, { message: 'is empty. Fix: describe at least one cluster' }),
    rules: z.array(ruleSchema).default([]),
    notifications: z.array(notificationSchema).default([]),
    /** Secret rotation (src/config/rotation-schema.ts, docs/rotation.md). */
    rotation: rotationSchema.optional(),
    /** Runbook limits, approvals and Alertmanager (src/config/runbooks-schema.ts, docs/runbooks/README.md). */
    runbooks: runbooksSchema,
    approvals: approvalsSchema,
    alertmanager: alertmanagerSchema,
    /** Backups to Blob Storage (src/config/backup-schema.ts, docs/backups.md). */
    backups: backupsSchema.optional(),
    /** Cost budgets with staged, reversible actions (src/config/budget-schema.ts, docs/budgets.md). */
    budgets: budgetsSchema.optional(),
    /** Predictive node-pool scaling (src/config/scaling-schema.ts, docs/scaling.md). */
    scaling: scalingSchema.optional(),
    /** Service level objectives, burn-rate rules and the error-budget policy (src/config/slo-schema.ts, docs/slo.md). */
    slo: sloSectionSchema.optional(),
    /** Maintenance windows, freezes, business hours (src/config/windows-schema.ts, docs/windows.md). */
    windows: windowsSchema.optional(),
    /** Paging receivers, routing by severity and hours, escalation (src/config/paging-schema.ts, docs/windows.md). */
    paging: pagingSchema.optional(),
    /** How long finished Durable instances and the app's own table rows are kept (docs/configuration.md, "Retention"). */
    retention: z
      .strictObject({
        instances: duration.default('30d'),
        tables: duration.default('1y'),
      })
      .default({ instances: '30d', tables: '1y' }),
  })
  .superRefine((cfg, ctx) => {
    checkScaling(cfg.scaling, cfg.clusters, cfg.protected.nodePools, ctx);
    const seenClusters = new Set<string>();
    cfg.clusters.forEach((c, i) => {
      if (seenClusters.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `"${c.name}" is used by two clusters. Fix: give each cluster its own name` });
      seenClusters.add(c.name);
      c.protectedNamespaces.forEach((ns, j) => {
        const bad = checkName('namespace', ns);
        if (bad) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'protectedNamespaces', j], message: `${bad}. Fix: list namespace names` });
      });
    });
    if (cfg.clusters.length > 1) {
      cfg.clusters.forEach((c, i) => {
        if (Object.keys(c.alertLabels).length === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', i, 'alertLabels'],
            message:
              'is empty while several clusters are configured, so alerts cannot be told apart. Fix: set the labels that identify this cluster, e.g. {cluster: ms5-prod}',
          });
        }
      });
    }
    cfg.protected.namespaces.forEach((ns, j) => {
      const bad = checkName('namespace', ns);
      if (bad) ctx.addIssue({ code: 'custom', path: ['protected', 'namespaces', j], message: `${bad}. Fix: list namespace names` });
    });
    const seenRules = new Set<string>();
    cfg.rules.forEach((r, i) => {
      if (seenRules.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `"${r.name}" is used by two rules. Fix: rule names must be unique (they are part of the remediation ID)`,
        });
      seenRules.add(r.name);
      let matcherCount = 0;
      let matchersValid = true;
      r.matchers.forEach((m, j) => {
        try {
          matcherCount += parseMatchers(m).length;
        } catch (e) {
          matchersValid = false;
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'matchers', j], message: (e as Error).message });
        }
      });
      if (matchersValid && matcherCount === 0 && r.matchers.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'matchers'],
          message:
            'hold no matcher (only empty sets such as {}), so the rule would match every alert. Fix: add at least one matcher, e.g. alertname="KubePodCrashLooping"',
        });
      }
      const def = RUNBOOKS[r.runbook];
      if (!def) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'runbook'],
          message: `"${r.runbook}" is not a runbook. Fix: use one of ${runbookNames().join(', ')}`,
        });
        return;
      }
      for (const [p, spec] of Object.entries(def.params)) {
        if (spec.required && r.params[p] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'params'],
            message: `lacks "${p}", which runbook ${def.name} requires. Fix: add ${p}: '{{ $labels.${p} }}' (or the label that holds it)`,
          });
        }
      }
      for (const [p, tpl] of Object.entries(r.params)) {
        if (!def.params[p]) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'params', p],
            message: `is not a parameter of runbook ${def.name}. Fix: remove it; the runbook takes ${Object.keys(def.params).join(', ')}`,
          });
        }
        try {
          compileTemplate(tpl);
        } catch (e) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'params', p], message: (e as Error).message });
        }
      }
      (r.clusters ?? []).forEach((c, j) => {
        if (!seenClusters.has(c))
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'clusters', j],
            message: `"${c}" is not a configured cluster. Fix: use one of ${[...seenClusters].join(', ')}`,
          });
      });
    });
    if (cfg.rotation) for (const issue of checkRotation(cfg.rotation, seenClusters)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of checkRunbooksConfig(cfg, seenClusters)) ctx.addIssue({ code: 'custom', ...issue });
    if (cfg.slo) for (const issue of checkSlo(cfg.slo, seenClusters)) ctx.addIssue({ code: 'custom', ...issue });
    if (cfg.windows) for (const issue of checkWindows(cfg.windows, seenClusters)) ctx.addIssue({ code: 'custom', ...issue });
    if (cfg.backups) for (const issue of checkBackups(cfg.backups, seenClusters)) ctx.addIssue({ code: 'custom', ...issue });
    if (cfg.budgets) {
      const budgetCtx = {
        clusters: cfg.clusters,
        protectedNamespaces: cfg.protected.namespaces,
        protectedNodePools: cfg.protected.nodePools,
        notifications: cfg.notifications.map((n) => n.name),
      };
      for (const issue of checkBudgets(cfg.budgets, budgetCtx)) ctx.addIssue({ code: 'custom', ...issue });
    }
    const seenNotif = new Set<string>();
    cfg.notifications.forEach((n, i) => {
      if (seenNotif.has(n.name))
        ctx.addIssue({
          code: 'custom',
          path: ['notifications', i, 'name'],
          message: `"${n.name}" is used twice. Fix: give each notification target its own name`,
        });
      seenNotif.add(n.name);
    });
    if (cfg.paging) for (const issue of checkPaging(cfg.paging, seenNotif, cfg.approvals.timeout)) ctx.addIssue({ code: 'custom', ...issue });
    cfg.rules.forEach((r, i) => {
      (r.notify ?? []).forEach((n, j) => {
        if (!seenNotif.has(n))
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'notify', j],
            message: `"${n}" is not a notification target. Fix: use one of ${[...seenNotif].join(', ') || '(none configured: add notifications[])'}`,
          });
      });
    });
  });

export type OpsConfig = z.output<typeof opsConfigSchema>;
export type RuleConfig = OpsConfig['rules'][number];
export type ClusterConfig = OpsConfig['clusters'][number];
export type NotificationTarget = OpsConfig['notifications'][number];
