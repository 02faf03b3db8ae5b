// Estate-wide and per-cluster limits on remediation starts, and the storm breaker (#12). The
// guard works per target; a storm (one crafted 976 kB delivery started 4,400 runs on distinct
// pods in 285 ms) needs limits above it:
//   - at most STORM_MAX_STARTS_PER_MINUTE starts per minute estate-wide,
//   - at most STORM_MAX_CLUSTER_STARTS_PER_MINUTE per cluster; the first start over that limit
//     trips the cluster's breaker: automation for that cluster stops for STORM_BREAKER_MINUTES
//     and the trip is escalated (audit decision 'storm-breaker', result 'escalated'; an error log line to page on).
// Each start creates at most one guard entity, so these limits also cap guard entities per window.
// Pure: the counts and breakers come from a StormStore (ControlStore in Azure).

export interface StormLimits {
  globalPerMinute: number;
  clusterPerMinute: number;
  breakerMinutes: number;
}

export interface StormStore {
  /** Starts counted in `minute` (YYYY-MM-DDTHH:MM): per cluster name, and '*' for the estate. */
  counts(minute: string): Promise<Record<string, number>>;
  /** Adds to the counts of `minute` (read-modify-write; concurrent deliveries may undercount by one batch). */
  add(minute: string, byScope: Record<string, number>): Promise<void>;
  /** Clusters whose breaker is open at `now`. */
  openBreakers(now: Date): Promise<Set<string>>;
  trip(cluster: string, until: string, reason: string): Promise<void>;
}

export interface StormDecision {
  /** Per start, in order: null = admitted, else why not. */
  refused: Array<string | null>;
  /** Clusters whose breaker trips now. */
  trip: string[];
  /** Counts to add for this minute. */
  added: Record<string, number>;
}

export const minuteOf = (d: Date): string => d.toISOString().slice(0, 16);

export function admitStarts(clusters: string[], counts: Record<string, number>, open: Set<string>, limits: StormLimits): StormDecision {
  const c = { ...counts };
  const added: Record<string, number> = {};
  const trip = new Set<string>();
  const refused = clusters.map((cluster) => {
    if (open.has(cluster) || trip.has(cluster))
      return `storm breaker open for cluster ${cluster}: automation for it is stopped for ${limits.breakerMinutes} min and escalated`;
    if ((c['*'] ?? 0) >= limits.globalPerMinute) return `estate-wide start limit reached (${limits.globalPerMinute} per minute, STORM_MAX_STARTS_PER_MINUTE)`;
    if ((c[cluster] ?? 0) >= limits.clusterPerMinute) {
      trip.add(cluster);
      return `cluster ${cluster} exceeded ${limits.clusterPerMinute} starts per minute (STORM_MAX_CLUSTER_STARTS_PER_MINUTE): storm breaker tripped`;
    }
    for (const k of ['*', cluster]) {
      c[k] = (c[k] ?? 0) + 1;
      added[k] = (added[k] ?? 0) + 1;
    }
    return null;
  });
  return { refused, trip: [...trip], added };
}
