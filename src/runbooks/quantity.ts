// Kubernetes resource quantities for storage (k8s.io/apimachinery/pkg/api/resource): parse
// "10Gi", "500G", "1.5Ti" to bytes, and format bytes back the way a human writes a PVC size
// (the largest binary suffix that divides it exactly, else Mi rounded up).
import { parseKubeQuantity, suffixValue } from '../domain/quantity.js';

/** Bytes in a quantity, or null when it is not one (milli-units and exponents are not storage sizes). */
export function parseQuantity(text: string): number | null {
  if (typeof text !== 'string') return null;
  const q = parseKubeQuantity(text);
  if (!q || /^[+-]/.test(text.trim()) || q.exponent !== undefined || q.suffix === 'm') return null;
  return Math.ceil(q.value);
}

/** A byte count as a quantity: 10737418240 -> "10Gi"; not a multiple of Mi -> rounded up to Mi. */
export function formatQuantity(bytes: number): string {
  for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi'] as const) {
    const unit = suffixValue(s);
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${s}`;
  }
  return `${Math.ceil(bytes / 2 ** 20)}Mi`;
}
