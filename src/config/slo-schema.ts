// The `slos` and `errorBudgetPolicy` sections of ops.yaml (docs/slo.md): service level objectives
// whose SLI is PromQL (good/total events, or a latency threshold on a histogram), and the policy
// that links them to the scopes the automation touches. Errors name the path and the fix.
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { prometheusSourceSchema } from './scaling-schema.js';

const duration = z.string().refine((s) => parseDuration(s) !== null && parseDuration(s)! > 0, {
  message: 'is not a duration. Fix: write it like 5m, 1h, 28d',
});

const sloName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and "-" (at most 63). Fix: e.g. api-availability' });

/** Good/total events: PromQL with {{window}} where the range goes, e.g. sum(rate(http_requests_total{code!~"5.."}[{{window}}])). */
const eventsSli = z.strictObject({
  good: z.string().min(1),
  total: z.string().min(1),
});

/** Latency: requests faster than `threshold` seconds are good, read from a Prometheus histogram. */
const latencySli = z.strictObject({
  /** Histogram base name, e.g. http_request_duration_seconds (its _bucket and _count series are used). */
  histogram: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, {
    message: 'is not a Prometheus metric name. Fix: the histogram base name without _bucket, e.g. http_request_duration_seconds',
  }),
  /** Label matchers inside {...}, e.g. job="api",route!="/healthz". */
  selector: z.string().default(''),
  /** A bucket boundary (the `le` label value) in seconds, e.g. 0.3. */
  threshold: z.number().positive(),
});

export const sloSchema = z.strictObject({
  name: sloName,
  /** The service it measures (a label on the generated rules and alerts). */
  service: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, { message: 'must be a short name. Fix: e.g. fastapi-backend' }),
  description: z.string().optional(),
  /** Target in percent, e.g. 99.5. */
  objective: z
    .number()
    .gt(0, { message: 'must be above 0. Fix: a percentage such as 99.5' })
    .lt(100, { message: 'must be below 100 (an objective of 100 % leaves no error budget). Fix: e.g. 99.9' }),
  /** Rolling window, e.g. 28d or 30d. */
  window: duration.default('28d'),
  sli: z.strictObject({ events: eventsSli.optional(), latency: latencySli.optional() }).refine((s) => (s.events === undefined) !== (s.latency === undefined), {
    message: 'needs exactly one of "events" or "latency". Fix: events: {good, total} with {{window}}, or latency: {histogram, threshold}',
  }),
  /** Extra labels on the generated alerts (routing in Alertmanager), e.g. team: payments. */
  labels: z.record(z.string(), z.string()).default({}),
});

const scopeSchema = z.strictObject({
  clusters: z.array(z.string().min(1)).optional(),
  namespaces: z.array(z.string().min(1)).optional(),
  nodePools: z.array(z.string().min(1)).optional(),
});

export const errorBudgetPolicySchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and "-". Fix: e.g. api-freeze' }),
  /** The SLOs whose budgets guard the scope (slos[].name). */
  slos: z.array(sloName).min(1, { message: 'is empty. Fix: name at least one SLO from slos[]' }),
  scope: scopeSchema.default({}),
  /** While a budget is spent (remaining <= 0): `approval` asks a human, `wait` holds the action until it recovers. */
  whenExhausted: z.enum(['approval', 'wait']).default('approval'),
  /** While a fast-burn (page) condition holds: same choices, or `allow`. */
  whenBurningFast: z.enum(['approval', 'wait', 'allow']).default('approval'),
  /** How long `wait` holds an action before it gives up and escalates. */
  maxWait: duration.default('2h'),
  /** How often a waiting action looks again. */
  recheckEvery: duration.default('10m'),
});

export const sloSectionSchema = z.strictObject({
  /** Where the SLIs are read from for error-budget state (the rules themselves run in Prometheus). */
  prometheus: prometheusSourceSchema,
  objectives: z.array(sloSchema).min(1, { message: 'is empty. Fix: describe at least one SLO, or remove the slo section' }),
  /** Which scopes each SLO's budget guards, and what the automation does while it is spent. */
  policies: z.array(errorBudgetPolicySchema).default([]),
});

export type SloSection = z.output<typeof sloSectionSchema>;
export type SloConfig = z.output<typeof sloSchema>;
export type ErrorBudgetPolicyConfig = z.output<typeof errorBudgetPolicySchema>;

interface Issue {
  path: (string | number)[];
  message: string;
}

/** Cross-checks: unique names, placeholders present, policies naming real SLOs and clusters. */
export function checkSlo(slo: SloSection, clusters: Set<string>): Issue[] {
  const issues: Issue[] = [];
  const names = new Set<string>();
  slo.objectives.forEach((s, i) => {
    if (names.has(s.name)) issues.push({ path: ['slo', 'objectives', i, 'name'], message: `"${s.name}" is used by two SLOs. Fix: give each SLO its own name` });
    names.add(s.name);
    for (const k of ['good', 'total'] as const) {
      const q = s.sli.events?.[k];
      if (q !== undefined && !q.includes('{{window}}')) {
        issues.push({
          path: ['slo', 'objectives', i, 'sli', 'events', k],
          message:
            'has no {{window}} placeholder, so every window would read the same range. Fix: write the range as [{{window}}], e.g. sum(rate(http_requests_total[{{window}}]))',
        });
      }
    }
  });
  const policyNames = new Set<string>();
  slo.policies.forEach((p, i) => {
    if (policyNames.has(p.name))
      issues.push({ path: ['slo', 'policies', i, 'name'], message: `"${p.name}" is used by two policies. Fix: give each policy its own name` });
    policyNames.add(p.name);
    p.slos.forEach((n, j) => {
      if (!names.has(n)) issues.push({ path: ['slo', 'policies', i, 'slos', j], message: `"${n}" is not an SLO. Fix: use one of ${[...names].join(', ')}` });
    });
    (p.scope.clusters ?? []).forEach((c, j) => {
      if (!clusters.has(c))
        issues.push({
          path: ['slo', 'policies', i, 'scope', 'clusters', j],
          message: `"${c}" is not a configured cluster. Fix: use one of ${[...clusters].join(', ')}`,
        });
    });
  });
  return issues;
}
