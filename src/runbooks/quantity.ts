// Kubernetes resource quantities for storage (k8s.io/apimachinery/pkg/api/resource): parse
// "10Gi", "500G", "1.5Ti" to bytes, and format bytes back the way a human writes a PVC size
// (the largest binary suffix that divides it exactly, else Mi rounded up).
const SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes in a quantity, or null when it is not one (milli-units and exponents are not storage sizes). */
export function parseQuantity(text: string): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(text.trim());
  if (!m) return null;
  return Math.ceil(Number(m[1]) * SUFFIX[m[2] ?? '']!);
}

/** A byte count as a quantity: 10737418240 -> "10Gi"; not a multiple of Mi -> rounded up to Mi. */
export function formatQuantity(bytes: number): string {
  for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi'] as const) {
    const unit = SUFFIX[s]!;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${s}`;
  }
  return `${Math.ceil(bytes / 2 ** 20)}Mi`;
}
