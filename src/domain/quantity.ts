// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): the one suffix table and
// parser. Callers decide which forms they accept: storage sizes refuse milli-units and exponents,
// CPU and memory requests take them all.
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
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

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export interface Quantity {
  /** The number before the suffix, with its sign ("1.5" of "1.5Gi"). */
  mantissa: number;
  /** The decimal exponent, when written ("3" of "1e3"); undefined when absent. */
  exponent: number | undefined;
  /** The suffix ("Gi", "m", ""). */
  suffix: string;
  /** mantissa x 10^exponent x the suffix's multiplier. */
  value: number;
}

/** A quantity's parts and value, or null when the text is not a quantity. */
export function parseKubeQuantity(text: string): Quantity | null {
  const m = QUANTITY.exec(text.trim());
  if (!m) return null;
  const mantissa = Number(m[1]);
  const exponent = m[2] === undefined ? undefined : Number(m[2]);
  const suffix = m[3] ?? '';
  return { mantissa, exponent, suffix, value: mantissa * 10 ** (exponent ?? 0) * SUFFIX[suffix]! };
}

/** How many bytes (or units) one of a suffix is: suffixValue('Gi') = 2^30. */
export function suffixValue(suffix: 'Ki' | 'Mi' | 'Gi' | 'Ti' | 'Pi' | 'Ei'): number {
  return SUFFIX[suffix]!;
}
