// Prometheus/Alertmanager duration strings ("30s", "15m", "1h30m", "2d", "1w") to seconds,
// so the config reads like the Alertmanager config its users already write.
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DURATION = /^(?:(\d+)(ms|s|m|h|d|w|y))+$/;
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;

/** Seconds in a duration string, or null when it is not one. */
export function parseDuration(text: string): number | null {
  if (typeof text !== 'string' || !DURATION.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}
