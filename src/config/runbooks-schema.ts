// The parts of ops.yaml the runbook catalogue reads: per-runbook limits (`runbooks:`), the
// approval policy (`approvals:`) and where Alertmanager's API is (`alertmanager:`), plus their
// compiled forms (durations in seconds, quantities in bytes). See docs/runbooks/README.md.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { checkName } from '../domain/k8s-names.js';
import { parseQuantity } from '../runbooks/quantity.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like Alertmanager durations, e.g. 30s, 15m, 1h, 1h30m',
});
const quantity = z.string().refine((s) => parseQuantity(s) !== null && parseQuantity(s)! > 0, {
  message: 'is not a storage quantity. Fix: write it like Kubernetes quantities, e.g. 10Gi, 500Gi, 1Ti',
});
const step = z.string().refine((s) => (/^\d{1,3}%$/.test(s) ? Number(s.slice(0, -1)) > 0 : parseQuantity(s) !== null && parseQuantity(s)! > 0), {
  message: 'is neither a percentage nor a quantity. Fix: e.g. 20% or 10Gi',
});

const poolBudget = z
  .strictObject({
    /** At most this many nodes of the pool unschedulable or NotReady at once, this one included. */
    maxUnavailable: z.number().int().min(1).max(1000).optional(),
    /** At least this many Ready, schedulable nodes left in the pool. */
    minHealthy: z.number().int().min(0).max(1000).optional(),
  })
  .refine((b) => b.maxUnavailable !== undefined || b.minHealthy !== undefined, {
    message: 'names neither maxUnavailable nor minHealthy. Fix: give one or both',
  });

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const jobTemplate = z.strictObject({
  namespace: z.string(),
  image: z.string().min(1).max(512),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  serviceAccountName: z.string().optional(),
  /** Plain (non-secret) environment variables; secrets belong in the image's own secret refs. */
  env: z.record(z.string().regex(envName, { message: 'is not an environment variable name. Fix: letters, digits and _' }), z.string()).default({}),
  activeDeadline: duration.optional(),
  ttlAfterFinished: duration.optional(),
  backoffLimit: z.number().int().min(0).max(10).default(0),
  /** Pass the alert labels as ALERT_LABEL_<NAME> variables (default true). */
  alertLabelsAsEnv: z.boolean().default(true),
});

export const runbooksSchema = z
  .strictObject({
    /** Defaults for every long-running runbook (rollouts, drains, resizes, jobs). */
    progressTimeout: duration.default('15m'),
    progressInterval: duration.default('30s'),
    'rollout-restart': z.strictObject({ timeout: duration.optional() }).default({}),
    'rollback-deployment': z.strictObject({ window: duration.default('2h'), timeout: duration.optional() }).default({ window: '2h' }),
    'scale-workload': z
      .strictObject({
        maxReplicas: z.number().int().min(1).max(10000).default(20),
        allowZero: z.boolean().default(false),
        timeout: duration.optional(),
      })
      .default({ maxReplicas: 20, allowZero: false }),
    'drain-node': z
      .strictObject({
        timeout: duration.optional(),
        /** Evict pods with emptyDir volumes (their data is lost), as kubectl drain --delete-emptydir-data. */
        deleteEmptyDirData: z.boolean().default(false),
        /** Evict pods no controller will recreate, as kubectl drain --force. */
        force: z.boolean().default(false),
        /** Budget for pools not listed in `pools`. */
        defaultMaxUnavailable: z.number().int().min(1).max(1000).default(1),
        pools: z.record(z.string(), poolBudget).default({}),
      })
      .default({ deleteEmptyDirData: false, force: false, defaultMaxUnavailable: 1, pools: {} }),
    'expand-pvc': z
      .strictObject({
        step: step.default('20%'),
        max: quantity.default('1Ti'),
        timeout: duration.optional(),
      })
      .default({ step: '20%', max: '1Ti' }),
    'delete-failed-jobs': z.strictObject({ maxJobs: z.number().int().min(1).max(500).default(50) }).default({ maxJobs: 50 }),
    'run-job': z.strictObject({ timeout: duration.optional(), templates: z.record(z.string(), jobTemplate).default({}) }).default({ templates: {} }),
  })
  .default({
    progressTimeout: '15m',
    progressInterval: '30s',
    'rollout-restart': {},
    'rollback-deployment': { window: '2h' },
    'scale-workload': { maxReplicas: 20, allowZero: false },
    'drain-node': { deleteEmptyDirData: false, force: false, defaultMaxUnavailable: 1, pools: {} },
    'expand-pvc': { step: '20%', max: '1Ti' },
    'delete-failed-jobs': { maxJobs: 50 },
    'run-job': { templates: {} },
  });

export const approvalsSchema = z
  .strictObject({
    /** How long an approval request waits before it escalates (the run then does not act). */
    timeout: duration.default('30m'),
    /** Every run in these clusters / namespaces needs approval, whatever its rule says (production by config). */
    requiredIn: z
      .strictObject({ clusters: z.array(z.string()).default([]), namespaces: z.array(z.string()).default([]) })
      .default({ clusters: [], namespaces: [] }),
    /** May the engineer who started a manual run approve it? (default: no, four eyes) */
    allowSelfApproval: z.boolean().default(false),
    /** The Entra ID app role an Easy Auth principal needs to approve or reject. */
    approverRole: z.string().min(1).default('Approver'),
  })
  .default({ timeout: '30m', requiredIn: { clusters: [], namespaces: [] }, allowSelfApproval: false, approverRole: 'Approver' });

export const alertmanagerSchema = z
  .strictObject({
    /** Alertmanager's base URL for verification and silences; when unset, neither happens (a payload's externalURL is never called). */
    url: z.url({ message: 'is not a URL. Fix: e.g. http://alertmanager-operated.monitoring:9093' }).optional(),
    /** How long a remediation's silence lasts at most (it is expired when the run ends). */
    silenceDuration: duration.default('1h'),
  })
  .default({ silenceDuration: '1h' });

export type RunbooksConfig = z.output<typeof runbooksSchema>;
export type ApprovalsConfig = z.output<typeof approvalsSchema>;
export type AlertmanagerConfig = z.output<typeof alertmanagerSchema>;

export interface JobTemplateSettings {
  namespace: string;
  image: string;
  command?: string[];
  args?: string[];
  serviceAccountName?: string;
  env: Record<string, string>;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  backoffLimit: number;
  alertLabelsAsEnv: boolean;
}

/** What the runbook modules read: numbers, not strings. */
export interface RunbookSettings {
  progressTimeoutSeconds: number;
  progressIntervalSeconds: number;
  timeouts: Record<string, number>;
  rollbackWindowSeconds: number;
  scale: { maxReplicas: number; allowZero: boolean };
  drain: {
    deleteEmptyDirData: boolean;
    force: boolean;
    defaultMaxUnavailable: number;
    pools: Record<string, { maxUnavailable?: number; minHealthy?: number }>;
  };
  expand: { stepPercent: number | null; stepBytes: number | null; maxBytes: number; max: string };
  deleteFailedJobs: { maxJobs: number };
  jobTemplates: Record<string, JobTemplateSettings>;
}

export interface ApprovalSettings {
  timeoutSeconds: number;
  requiredInClusters: string[];
  requiredInNamespaces: string[];
  allowSelfApproval: boolean;
  approverRole: string;
}

export interface AlertmanagerSettings {
  url: string | undefined;
  silenceSeconds: number;
}

const sec = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d)!);

export function compileRunbookSettings(r: RunbooksConfig): RunbookSettings {
  const stepText = r['expand-pvc'].step;
  const timeouts: Record<string, number> = {};
  for (const name of ['rollout-restart', 'rollback-deployment', 'scale-workload', 'drain-node', 'expand-pvc', 'run-job'] as const) {
    const t = sec(r[name].timeout);
    if (t !== undefined) timeouts[name] = t;
  }
  return {
    progressTimeoutSeconds: sec(r.progressTimeout)!,
    progressIntervalSeconds: sec(r.progressInterval)!,
    timeouts,
    rollbackWindowSeconds: sec(r['rollback-deployment'].window)!,
    scale: { maxReplicas: r['scale-workload'].maxReplicas, allowZero: r['scale-workload'].allowZero },
    drain: { ...r['drain-node'] },
    expand: {
      stepPercent: stepText.endsWith('%') ? Number(stepText.slice(0, -1)) : null,
      stepBytes: stepText.endsWith('%') ? null : parseQuantity(stepText),
      maxBytes: parseQuantity(r['expand-pvc'].max)!,
      max: r['expand-pvc'].max,
    },
    deleteFailedJobs: { maxJobs: r['delete-failed-jobs'].maxJobs },
    jobTemplates: Object.fromEntries(
      Object.entries(r['run-job'].templates).map(([name, t]) => {
        const out: JobTemplateSettings = {
          namespace: t.namespace,
          image: t.image,
          env: t.env,
          backoffLimit: t.backoffLimit,
          alertLabelsAsEnv: t.alertLabelsAsEnv,
        };
        if (t.command) out.command = t.command;
        if (t.args) out.args = t.args;
        if (t.serviceAccountName) out.serviceAccountName = t.serviceAccountName;
        if (t.activeDeadline) out.activeDeadlineSeconds = sec(t.activeDeadline)!;
        if (t.ttlAfterFinished) out.ttlSecondsAfterFinished = sec(t.ttlAfterFinished)!;
        return [name, out];
      }),
    ),
  };
}

export function compileApprovals(a: ApprovalsConfig): ApprovalSettings {
  return {
    timeoutSeconds: sec(a.timeout)!,
    requiredInClusters: a.requiredIn.clusters,
    requiredInNamespaces: a.requiredIn.namespaces,
    allowSelfApproval: a.allowSelfApproval,
    approverRole: a.approverRole,
  };
}

export function compileAlertmanager(a: AlertmanagerConfig): AlertmanagerSettings {
  return { url: a.url, silenceSeconds: sec(a.silenceDuration)! };
}

/** Cross-checks of these sections (names, clusters); issues carry their config path. */
export function checkRunbooksConfig(
  cfg: { runbooks: RunbooksConfig; approvals: ApprovalsConfig },
  clusters: Set<string>,
): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  for (const [name, t] of Object.entries(cfg.runbooks['run-job'].templates)) {
    const badName = checkName('name', name);
    if (badName)
      issues.push({ path: ['runbooks', 'run-job', 'templates', name], message: `template name ${badName}. Fix: use a Kubernetes-style name such as diag-dns` });
    if (name.length > 40)
      issues.push({
        path: ['runbooks', 'run-job', 'templates', name],
        message: 'template name is longer than 40 characters (the Job name adds a suffix). Fix: shorten it',
      });
    const badNs = checkName('namespace', t.namespace);
    if (badNs) issues.push({ path: ['runbooks', 'run-job', 'templates', name, 'namespace'], message: `${badNs}. Fix: give the namespace the Job runs in` });
  }
  cfg.approvals.requiredIn.clusters.forEach((c, i) => {
    if (!clusters.has(c))
      issues.push({
        path: ['approvals', 'requiredIn', 'clusters', i],
        message: `"${c}" is not a configured cluster. Fix: use one of ${[...clusters].join(', ')}`,
      });
  });
  cfg.approvals.requiredIn.namespaces.forEach((ns, i) => {
    const bad = checkName('namespace', ns);
    if (bad) issues.push({ path: ['approvals', 'requiredIn', 'namespaces', i], message: `${bad}. Fix: list namespace names` });
  });
  return issues;
}
