// What Azure Resource Manager says when it wants us to wait, owned by the adapters that hear it
// (aks-estate.ts, arm-operations.ts, cost-management.ts) and read by the budget activities:
// the throttling headers (ARM's Retry-After and Cost Management's x-ms-ratelimit-* quotas),
// ThrottledError (429) and BusyError (409: another operation runs on the cluster).

export const RETRY_HEADERS = [
  'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after',
  'x-ms-ratelimit-microsoft.consumption-retry-after',
  'retry-after',
] as const;

/** The longest wait any of the throttling headers asks for, in seconds (null: none sent). */
export function retryAfterSeconds(get: (name: string) => string | undefined | null, now = Date.now()): number | null {
  let longest: number | null = null;
  for (const h of RETRY_HEADERS) {
    const raw = get(h);
    if (raw === undefined || raw === null || raw.trim() === '') continue;
    let s = Number(raw.trim());
    if (!Number.isFinite(s)) {
      // Retry-After may be an HTTP date.
      const at = Date.parse(raw);
      if (!Number.isFinite(at)) continue;
      s = Math.max(0, (at - now) / 1000);
    }
    if (s >= 0) longest = Math.max(longest ?? 0, Math.ceil(s));
  }
  return longest;
}

/** ARM (or Kubernetes) asked us to slow down: retry after this many seconds. */
export class ThrottledError extends Error {
  override name = 'ThrottledError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Another operation is running on the cluster (AKS answers 409 OperationNotAllowed): wait and retry. */
export class BusyError extends Error {
  override name = 'BusyError';
}
