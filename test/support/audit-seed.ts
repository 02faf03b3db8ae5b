// Realistic audit rows for the console's tests and benchmark (targets, rules, decisions vary).
import type { AuditStore } from '../../src/adapters/audit-store.js';

const CLUSTER = 'ms5-prod';

/** Seeds `n` audit rows over the last days (targets, rules and decisions vary) and returns them oldest first. */
export async function seedAudit(audit: AuditStore, n: number, now: Date): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `seed-${i}`,
    at: new Date(now.getTime() - (n - i) * 60_000).toISOString(),
    kind: i % 3 === 0 ? 'action' : 'decision',
    actor: i % 7 === 0 ? 'user:alice@contoso.com' : 'orchestration',
    instanceId: `remediation-${i % 50}`,
    rule: ['crashloop', 'oom-killed', 'disk-pressure'][i % 3]!,
    runbook: ['restart-pod', 'rollout-restart', 'expand-pvc'][i % 3]!,
    target: `${CLUSTER}/${['shop', 'payments', 'celery'][i % 3]}/Deployment/${['api', 'worker', 'beat'][i % 3]}`,
    decision: ['start', 'duplicate', 'protected'][i % 3]!,
    result: i % 3 === 0 ? 'succeeded' : '',
  }));
  for (let i = 0; i < rows.length; i += 500) await audit.write(rows.slice(i, i + 500) as never);
}
