// The runbook catalogue: what each runbook needs, what it targets, whether it needs a human's
// approval by default, and a one-line description of the action. Pure data and functions,
// shared by config validation, the intake decision, the HTTP runbooks, the CLI and the
// activities. The actions themselves live beside this file, one module per runbook
// (restart-pod.ts, rollout-restart.ts, ...); run.ts dispatches to them.
//
// Parameters cross the durable history as strings (rules template them from alert labels;
// the HTTP API turns JSON numbers and booleans into strings), so every parameter has a
// `kind` that says how its text is checked: Kubernetes names, bounded integers, durations,
// label selectors, enumerations.
import type { Target, TargetKind } from '../domain/types.js';
import { checkName, type NameKind } from '../domain/k8s-names.js';
import { parseDuration } from '../domain/duration.js';

export type ParamKind = NameKind | 'int' | 'duration' | 'selector' | 'enum';

export interface RunbookParam {
  description: string;
  /** How the value is checked: a Kubernetes namespace or object name, a bounded integer, a duration, a label selector, one of `values`. */
  kind: ParamKind;
  required: boolean;
  /** int: inclusive bounds. */
  min?: number;
  max?: number;
  /** enum: the accepted values. */
  values?: readonly string[];
  /** Used when the parameter is absent (documented in the schema listing). */
  default?: string;
}

export interface RunbookDefinition {
  name: string;
  description: string;
  params: Record<string, RunbookParam>;
  /** Which object the runbook targets, from its checked parameters. */
  target(cluster: string, params: Record<string, string>): Target;
  targetKind: TargetKind;
  /** 'required': every run waits for a human's approval unless its rule says `approval: none`. */
  approval: 'required' | 'auto';
  /** false for notify-only: nothing in the cluster changes, so no guard, no action, no verification. */
  acts: boolean;
  /** What the runbook will do, in one line, from the parameters alone (the plan activity adds what the cluster says). */
  describe(params: Record<string, string>): string;
  /** Checks across parameters ("one of name or hpa"); one sentence per problem, naming the parameters. */
  validate?(params: Record<string, string>): string[];
}

const NAMESPACE: RunbookParam = { description: 'Namespace of the object', kind: 'namespace', required: true };
const WORKLOAD_KIND = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

function oneOf(params: Record<string, string>, a: string, b: string): string[] {
  const has = (k: string) => params[k] !== undefined && params[k] !== '';
  if (has(a) && has(b)) return [`parameters "${a}" and "${b}" exclude each other: give one`];
  if (!has(a) && !has(b)) return [`parameter "${a}" or "${b}" is required`];
  return [];
}

const p = (params: Record<string, string>, k: string, d = ''): string => params[k] ?? d;

const DEFINITIONS = {
  'restart-pod': {
    name: 'restart-pod',
    description:
      'Restart a crash-looping pod: rollout-restart its owning Deployment when it has one (restartedAt annotation), otherwise delete the pod (its StatefulSet, DaemonSet or Job recreates it).',
    params: {
      namespace: { description: 'Namespace of the pod', kind: 'namespace', required: true },
      pod: { description: 'Name of the pod', kind: 'name', required: true },
    },
    targetKind: 'Pod',
    target: (cluster, q) => ({ cluster, namespace: q['namespace']!, kind: 'Pod', name: q['pod']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `restart pod ${p(q, 'namespace')}/${p(q, 'pod')} (rollout restart of its Deployment, else delete the pod)`,
  },
  'rollout-restart': {
    name: 'rollout-restart',
    description:
      'Rolling restart of a Deployment, StatefulSet or DaemonSet (strategic merge patch of the kubectl.kubernetes.io/restartedAt template annotation, as kubectl rollout restart); refuses paused Deployments; waits for the rollout to finish (observedGeneration, updated and available replicas) up to the progress timeout.',
    params: {
      namespace: NAMESPACE,
      kind: { description: 'Kind of the workload', kind: 'enum', values: WORKLOAD_KIND, required: false, default: 'Deployment' },
      name: { description: 'Name of the workload', kind: 'name', required: true },
    },
    targetKind: 'Deployment',
    target: (cluster, q) => ({ cluster, namespace: q['namespace']!, kind: (q['kind'] ?? 'Deployment') as TargetKind, name: q['name']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `rollout-restart ${p(q, 'kind', 'Deployment').toLowerCase()} ${p(q, 'namespace')}/${p(q, 'name')} and wait for the rollout`,
  },
  'scale-workload': {
    name: 'scale-workload',
    description:
      'Scale a Deployment or StatefulSet to a bounded replica count (never above runbooks.scale-workload.maxReplicas, never to zero unless allowZero). When a HorizontalPodAutoscaler owns the workload, raise its minReplicas/maxReplicas instead (and say so). Scaling down needs approval.',
    params: {
      namespace: NAMESPACE,
      kind: { description: 'Kind of the workload', kind: 'enum', values: ['Deployment', 'StatefulSet'], required: false, default: 'Deployment' },
      name: { description: 'Name of the workload (or give hpa)', kind: 'name', required: false },
      hpa: {
        description: 'Name of a HorizontalPodAutoscaler whose target to scale (KubeHpaMaxedOut carries it as horizontalpodautoscaler)',
        kind: 'name',
        required: false,
      },
      replicas: { description: 'Replica count to set', kind: 'int', min: 0, max: 10000, required: false },
      by: { description: 'Replicas to add (negative: remove)', kind: 'int', min: -1000, max: 1000, required: false },
    },
    targetKind: 'Deployment',
    target: (cluster, q) =>
      q['hpa']
        ? { cluster, namespace: q['namespace']!, kind: 'HorizontalPodAutoscaler', name: q['hpa'] }
        : { cluster, namespace: q['namespace']!, kind: (q['kind'] ?? 'Deployment') as TargetKind, name: q['name'] ?? '' },
    approval: 'auto',
    acts: true,
    validate: (q) => [...oneOf(q, 'name', 'hpa'), ...oneOf(q, 'replicas', 'by')],
    describe: (q) =>
      `scale ${q['hpa'] ? `the target of hpa ${p(q, 'namespace')}/${p(q, 'hpa')}` : `${p(q, 'kind', 'Deployment').toLowerCase()} ${p(q, 'namespace')}/${p(q, 'name')}`} ${q['replicas'] !== undefined ? `to ${q['replicas']} replicas` : `by ${q['by']}`}`,
  },
  'cordon-node': {
    name: 'cordon-node',
    description: 'Mark a node unschedulable (spec.unschedulable=true), as kubectl cordon. Pods already there keep running.',
    params: { node: { description: 'Name of the node', kind: 'name', required: true } },
    targetKind: 'Node',
    target: (cluster, q) => ({ cluster, namespace: '', kind: 'Node', name: q['node']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `cordon node ${p(q, 'node')}`,
  },
  'uncordon-node': {
    name: 'uncordon-node',
    description: 'Mark a node schedulable again (spec.unschedulable=false), as kubectl uncordon.',
    params: { node: { description: 'Name of the node', kind: 'name', required: true } },
    targetKind: 'Node',
    target: (cluster, q) => ({ cluster, namespace: '', kind: 'Node', name: q['node']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `uncordon node ${p(q, 'node')}`,
  },
  'drain-node': {
    name: 'drain-node',
    description:
      'Cordon a node, then evict its pods through the Eviction API (PodDisruptionBudgets respected: a 429 is waited on and retried, never forced); DaemonSet and mirror pods are skipped; stops at the progress timeout and reports what is left. Never drains more nodes of a pool at once than runbooks.drain-node.pools allows. Needs approval.',
    params: { node: { description: 'Name of the node', kind: 'name', required: true } },
    targetKind: 'Node',
    target: (cluster, q) => ({ cluster, namespace: '', kind: 'Node', name: q['node']! }),
    approval: 'required',
    acts: true,
    describe: (q) => `drain node ${p(q, 'node')} (cordon, then evict its pods through the Eviction API)`,
  },
  'expand-pvc': {
    name: 'expand-pvc',
    description:
      'Grow a PersistentVolumeClaim by runbooks.expand-pvc.step up to runbooks.expand-pvc.max, only when its StorageClass has allowVolumeExpansion; follows the resize (Resizing, FileSystemResizePending, status.capacity) up to the progress timeout.',
    params: {
      namespace: NAMESPACE,
      pvc: { description: 'Name of the PersistentVolumeClaim', kind: 'name', required: true },
    },
    targetKind: 'PersistentVolumeClaim',
    target: (cluster, q) => ({ cluster, namespace: q['namespace']!, kind: 'PersistentVolumeClaim', name: q['pvc']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `expand pvc ${p(q, 'namespace')}/${p(q, 'pvc')} by the configured step`,
  },
  'rollback-deployment': {
    name: 'rollback-deployment',
    description:
      'Roll a Deployment back to the pod template of its previous ReplicaSet (what kubectl rollout undo does), only when the current revision rolled out within runbooks.rollback-deployment.window; refuses paused Deployments and Deployments without a previous revision. Needs approval.',
    params: {
      namespace: NAMESPACE,
      deployment: { description: 'Name of the Deployment', kind: 'name', required: true },
    },
    targetKind: 'Deployment',
    target: (cluster, q) => ({ cluster, namespace: q['namespace']!, kind: 'Deployment', name: q['deployment']! }),
    approval: 'required',
    acts: true,
    describe: (q) => `roll deployment ${p(q, 'namespace')}/${p(q, 'deployment')} back to its previous revision`,
  },
  'delete-failed-jobs': {
    name: 'delete-failed-jobs',
    description:
      'Delete failed Jobs (condition Failed=True) matching a label selector, or one named Job, with their pods (propagationPolicy Background), e.g. the ephemeral analysis Jobs of an estate like Packamal.',
    params: {
      namespace: NAMESPACE,
      selector: { description: 'Label selector of the Jobs, e.g. app=packamal-analysis', kind: 'selector', required: false },
      job: { description: 'Name of one Job (KubeJobFailed carries it as job_name)', kind: 'name', required: false },
      olderThan: { description: 'Only Jobs that started at least this long ago, e.g. 1h', kind: 'duration', required: false },
    },
    targetKind: 'Job',
    target: (cluster, q) => ({ cluster, namespace: q['namespace']!, kind: 'Job', name: q['job'] ?? q['selector'] ?? '' }),
    approval: 'auto',
    acts: true,
    validate: (q) => oneOf(q, 'selector', 'job'),
    describe: (q) => `delete failed jobs in ${p(q, 'namespace')} ${q['job'] ? `named ${q['job']}` : `matching ${p(q, 'selector')}`} and their pods`,
  },
  'run-job': {
    name: 'run-job',
    description:
      'Start a Job from a template in runbooks.run-job.templates (a cleanup or a diagnostic), with the alert labels as ALERT_LABEL_* environment variables, and wait for it to complete up to the progress timeout.',
    params: {
      template: { description: 'Name of the Job template (runbooks.run-job.templates)', kind: 'name', required: true },
      namespace: { description: "Namespace to run in; must be the template's namespace when given", kind: 'namespace', required: false },
    },
    targetKind: 'Job',
    target: (cluster, q) => ({ cluster, namespace: q['namespace'] ?? '', kind: 'Job', name: q['template']! }),
    approval: 'auto',
    acts: true,
    describe: (q) => `run job template ${p(q, 'template')} and wait for it`,
  },
  'notify-only': {
    name: 'notify-only',
    description: 'Change nothing: tell the on-call channels about the alert (for alerts a robot should not act on, e.g. KubeStatefulSetReplicasMismatch).',
    params: {
      namespace: { description: 'Namespace the alert is about (for the message)', kind: 'namespace', required: false },
      subject: { description: 'Object the alert is about (for the message)', kind: 'name', required: false },
    },
    targetKind: 'Alert',
    target: (cluster, q) => ({ cluster, namespace: q['namespace'] ?? '', kind: 'Alert', name: q['subject'] ?? 'alert' }),
    approval: 'auto',
    acts: false,
    describe: (q) => `notify on-call about ${q['subject'] ? `${q['namespace'] ? `${q['namespace']}/` : ''}${q['subject']}` : 'the alert'} (no action)`,
  },
} satisfies Record<string, RunbookDefinition>;

/** A runbook's name, as the compiler knows it (MODULES in run.ts must implement each). */
export type RunbookName = keyof typeof DEFINITIONS;
/** Looked up by names from config and payloads, hence string keys; RunbookName for code that must cover all. */
export const RUNBOOKS: Record<string, RunbookDefinition> = DEFINITIONS;

export function runbookNames(): string[] {
  return Object.keys(RUNBOOKS);
}

/** A label selector as kubectl -l accepts it (=, ==, !=, in, notin, exists, !exists), checked for syntax. */
export function checkSelector(value: string): string | null {
  if (value.length > 1024) return 'is longer than 1024 characters';
  const parts = value.split(/,(?![^(]*\))/).map((s) => s.trim());
  const key = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
  const val = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
  for (const part of parts) {
    let m: RegExpExecArray | null;
    if ((m = /^!?\s*([^\s=!(),]+)$/.exec(part))) {
      if (!key.test(m[1]!)) return `"${part}" has an invalid label key`;
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(part))) {
      if (!key.test(m[1]!)) return `"${part}" has an invalid label key`;
      if (!val.test(m[3]!)) return `"${part}" has an invalid label value`;
    } else if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      if (!key.test(m[1]!)) return `"${part}" has an invalid label key`;
      if (m[3]!.split(',').some((v) => !val.test(v.trim()))) return `"${part}" has an invalid label value`;
    } else {
      return `"${part.slice(0, 60)}" is not a label selector requirement (key=value, key!=value, key in (a,b), key, !key)`;
    }
  }
  return null;
}

/** null when `value` is acceptable for `spec`, else the problem (without the parameter name). */
export function checkParam(spec: RunbookParam, value: string): string | null {
  switch (spec.kind) {
    case 'namespace':
    case 'name':
      return checkName(spec.kind, value);
    case 'int': {
      if (!/^-?\d{1,9}$/.test(value)) return `"${value.slice(0, 40)}" is not a whole number`;
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) return `is ${n}; the least accepted is ${spec.min}`;
      if (spec.max !== undefined && n > spec.max) return `is ${n}; the most accepted is ${spec.max}`;
      return null;
    }
    case 'duration': {
      const s = parseDuration(value);
      if (s === null || s <= 0) return `"${value.slice(0, 40)}" is not a duration such as 30m, 2h, 1d`;
      return null;
    }
    case 'selector':
      return checkSelector(value);
    case 'enum':
      return spec.values?.includes(value) ? null : `"${value.slice(0, 40)}" is not one of ${(spec.values ?? []).join(', ')}`;
  }
}

/**
 * Checks rendered parameters against the runbook. Returns the problems, one sentence each,
 * naming the parameter; an empty list means the parameters are usable.
 */
export function checkParams(def: RunbookDefinition, params: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(def.params)) {
    const v = params[name];
    if (v === undefined || v === '') {
      if (spec.required) problems.push(`parameter "${name}" is missing (${spec.description.toLowerCase()})`);
      continue;
    }
    const bad = checkParam(spec, v);
    if (bad) problems.push(`parameter "${name}" ${bad}`);
  }
  for (const name of Object.keys(params)) {
    if (!Object.prototype.hasOwnProperty.call(def.params, name)) {
      problems.push(`parameter "${name}" is not a parameter of runbook ${def.name} (it takes: ${Object.keys(def.params).join(', ')})`);
    }
  }
  if (problems.length === 0 && def.validate) {
    // Empty strings (a template that rendered nothing) count as absent for cross-parameter checks.
    const present = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ''));
    problems.push(...def.validate(present));
  }
  return problems;
}

/** The parameters with empty values dropped and defaults filled in, as the runbook modules read them. */
export function effectiveParams(def: RunbookDefinition, params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(def.params)) {
    const v = params[name];
    if (v !== undefined && v !== '') out[name] = v;
    else if (spec.default !== undefined) out[name] = spec.default;
  }
  return out;
}

/** The catalogue as the HTTP API and the CLI list it (JSON-friendly). */
export function describeCatalogue(): Array<{
  name: string;
  description: string;
  approval: string;
  acts: boolean;
  targetKind: string;
  params: Record<string, RunbookParam>;
}> {
  return Object.values(RUNBOOKS).map((d) => ({
    name: d.name,
    description: d.description,
    approval: d.approval,
    acts: d.acts,
    targetKind: d.targetKind,
    params: d.params,
  }));
}
