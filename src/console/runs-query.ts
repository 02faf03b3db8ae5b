// The query of GET /api/runs, checked by its route schema (src/api/schemas.ts runsQuery): ?since=
// (ISO time or a duration ago, e.g. 24h) becomes a time; the limit defaults to 100.
import { parseDuration } from '../domain/duration.js';
import { parseIsoTime } from '../domain/audit-query.js';

export function parseRunsQuery(
  q: { since?: string | undefined; limit?: number | undefined },
  now: Date,
): { since?: Date; limit: number } | { error: string; parameter: string } {
  const limit = q.limit ?? 100;
  if (!q.since) return { limit };
  const iso = parseIsoTime(q.since);
  const seconds = iso ? null : parseDuration(q.since);
  if (!iso && seconds === null)
    return {
      error: `since: '${q.since.slice(0, 40)}' is not an ISO time or a duration. Fix: e.g. since=24h or since=2025-03-01T00:00:00Z`,
      parameter: 'since',
    };
  return { since: iso ?? new Date(now.getTime() - seconds! * 1000), limit };
}
