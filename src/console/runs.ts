// GET /api/runs: what the app is doing now, for the console's "Now" page and `aksops`: every
// live orchestration (remediations and on-call runs, backups, restores, rotations, budget
// enforcement) with its phase, progress, target and, when it waits for a person, the plan and the
// route to approve it. Read from the Durable status query (paged by the extension), never from input secrets.
export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  createdTime: string | Date;
  lastUpdatedTime: string | Date;
  customStatus: unknown;
}

export interface InstanceLister {
  list(filter: { runtimeStatus: string[]; createdTimeFrom?: Date }): Promise<InstanceStatus[]>;
}

export interface RunSummary {
  instanceId: string;
  orchestration: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  phase: string | null;
  progress: { done: number; total: number; detail?: string } | null;
  runbook: string | null;
  target: string | null;
  dryRun: boolean | null;
  awaitingApproval: boolean;
  plan: { summary?: string; steps?: string[]; refusal?: string } | null;
  approval: { reason?: string; deadline?: string } | null;
  /** Where a decision goes (POST), when it waits for one. */
  decide: { approve: string; reject: string; cancel?: string } | null;
}

export const LIVE_STATUSES = ['Pending', 'Running', 'Suspended'];
const ALL_STATUSES = [...LIVE_STATUSES, 'Completed', 'Failed', 'Terminated'];

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const iso = (v: string | Date): string => (v instanceof Date ? v.toISOString() : v);

export function summarize(s: InstanceStatus): RunSummary {
  const c = (s.customStatus && typeof s.customStatus === 'object' ? s.customStatus : {}) as Record<string, unknown>;
  const progress = (c['progress'] ?? null) as RunSummary['progress'];
  const phase = str(c['phase']) ?? str(c['stage']);
  const awaiting = LIVE_STATUSES.includes(s.runtimeStatus) && /awaiting-approval|waiting-approval|approval/.test(phase ?? '');
  const id = encodeURIComponent(s.instanceId);
  const decide = !awaiting
    ? null
    : s.name === 'remediation'
      ? { approve: `/api/runbooks/runs/${id}/approve`, reject: `/api/runbooks/runs/${id}/reject`, cancel: `/api/runbooks/runs/${id}/cancel` }
      : s.name === 'secretRotation'
        ? { approve: `/api/rotations/${id}/approval`, reject: `/api/rotations/${id}/approval` }
        : null;
  return {
    instanceId: s.instanceId,
    orchestration: s.name,
    runtimeStatus: s.runtimeStatus,
    createdTime: iso(s.createdTime),
    lastUpdatedTime: iso(s.lastUpdatedTime),
    phase,
    progress: progress && typeof progress.done === 'number' && typeof progress.total === 'number' ? progress : null,
    runbook: str(c['runbook']),
    target: str(c['target']),
    dryRun: typeof c['dryRun'] === 'boolean' ? c['dryRun'] : null,
    awaitingApproval: awaiting,
    plan: c['plan'] ?? null,
    approval: c['approval'] ?? null,
    decide,
  };
}

/** ?since= (ISO or a duration like 24h) adds finished runs created since then; default live only. Newest first, at most `limit`. */
export async function listRuns(lister: InstanceLister, q: { since?: Date; limit: number }): Promise<{ items: RunSummary[]; truncated: boolean }> {
  const list = await lister.list(q.since ? { runtimeStatus: ALL_STATUSES, createdTimeFrom: q.since } : { runtimeStatus: LIVE_STATUSES });
  const items = list
    .filter((s) => s.name !== 'predictiveScaling' || LIVE_STATUSES.includes(s.runtimeStatus))
    .map(summarize)
    .sort((a, b) => Number(b.awaitingApproval) - Number(a.awaitingApproval) || b.createdTime.localeCompare(a.createdTime));
  return { items: items.slice(0, q.limit), truncated: items.length > q.limit };
}
