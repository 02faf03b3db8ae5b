// The runbook catalogue: what each runbook needs and what it targets. Pure data and
// functions, shared by config validation, the intake decision, the CLI and the activities.
// The actions themselves live beside this file (restart-pod.ts, ...), one module per runbook.
import type { Target, TargetKind } from '../domain/types.js';
import { checkName, type NameKind } from '../domain/k8s-names.js';

export interface RunbookParam {
  description: string;
  /** How the value is checked: a Kubernetes namespace or object name. */
  kind: NameKind;
  required: boolean;
}

export interface RunbookDefinition {
  name: string;
  description: string;
  params: Record<string, RunbookParam>;
  /** Which object the runbook targets, from its checked parameters. */
  target(cluster: string, params: Record<string, string>): Target;
  targetKind: TargetKind;
}

export const RUNBOOKS: Record<string, RunbookDefinition> = {
  'restart-pod': {
    name: 'restart-pod',
    description:
      'Restart a crash-looping pod: rollout-restart its owning Deployment when it has one (restartedAt annotation), otherwise delete the pod.',
    params: {
      namespace: { description: 'Namespace of the pod', kind: 'namespace', required: true },
      pod: { description: 'Name of the pod', kind: 'name', required: true },
    },
    targetKind: 'Pod',
    target: (cluster, p) => ({ cluster, namespace: p['namespace']!, kind: 'Pod', name: p['pod']! }),
  },
};

export function runbookNames(): string[] {
  return Object.keys(RUNBOOKS);
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
    const bad = checkName(spec.kind, v);
    if (bad) problems.push(`parameter "${name}" ${bad}`);
  }
  for (const name of Object.keys(params)) {
    if (!Object.prototype.hasOwnProperty.call(def.params, name)) {
      problems.push(`parameter "${name}" is not a parameter of runbook ${def.name} (it takes: ${Object.keys(def.params).join(', ')})`);
    }
  }
  return problems;
}
