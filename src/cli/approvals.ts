// Approvals that are not runbook runs:
//   aksops budgets approve NAME [--reject]   POST /api/budgets/{name}/approval {"approve", "by"}
//   aksops secrets approve INSTANCE_ID [--reject]  POST /api/rotations/{id}/approval {"approved"}
// (runbook runs: aksops runbooks approve|reject ID). The identity is $AKSOPS_USER or $USER.
import { parseFlags, UsageError } from './args.js';
import { baseUrl, call, failure, unreachable, user } from './http.js';
import type { CliIo } from './io.js';

export const APPROVE_FLAGS = { reject: { type: 'boolean' }, url: { type: 'string' } } as const;

function approver(name: string, path: (id: string) => string, body: (approve: boolean, by: string | undefined) => unknown, what: string) {
  return async (args: string[], io: CliIo): Promise<number> => {
    try {
      const { values, positionals } = parseFlags(args, APPROVE_FLAGS, name);
      if (positionals.length !== 1) throw new UsageError(`aksops ${name}: give exactly one ${what}`);
      const url = baseUrl(values.url, io, name);
      const approve = values.reject !== true;
      const r = await call(io, url, 'POST', path(encodeURIComponent(positionals[0]!)), body(approve, user(io)));
      if (r.status !== 202) return failure(io, name, r);
      io.out(JSON.stringify(r.body));
      return 0;
    } catch (e) {
      if (e instanceof UsageError) return (io.err(e.message), 2);
      return unreachable(io, name, e);
    }
  };
}

export const runBudgetsApprove = approver(
  'budgets approve',
  (n) => `/api/budgets/${n}/approval`,
  (approve, by) => ({ approve, ...(by ? { by } : {}) }),
  'budget NAME',
);
export const runSecretsApprove = approver(
  'secrets approve',
  (id) => `/api/rotations/${id}/approval`,
  (approved) => ({ approved }),
  'rotation INSTANCE_ID (from aksops secrets rotate)',
);
