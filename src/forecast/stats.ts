// Small statistics helpers for the forecasters: empirical quantiles and rolling windows.

/** Type-7 (linear interpolation) quantile of an ascending array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function mean(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let s = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = xs[i]!;
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/**
 * The last `capacity` values pushed, kept sorted, for quantiles of recent forecast errors.
 * push is O(capacity) (binary search + shift), quantile O(1).
 */
export class RollingQuantile {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  push(v: number): void {
    if (Number.isNaN(v)) return;
    if (this.size === this.capacity) {
      const old = this.ring[this.head]!;
      this.removeSorted(old);
    } else {
      this.size++;
    }
    this.ring[this.head] = v;
    this.head = (this.head + 1) % this.capacity;
    this.insertSorted(v);
  }

  quantile(p: number): number {
    const n = this.size;
    if (n === 0) return NaN;
    const h = (n - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return this.sorted[lo]! + (h - lo) * (this.sorted[hi]! - this.sorted[lo]!);
  }

  private lowerBound(v: number, n: number): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertSorted(v: number): void {
    const n = this.size - 1; // elements already in `sorted`
    const i = this.lowerBound(v, n);
    this.sorted.copyWithin(i + 1, i, n);
    this.sorted[i] = v;
  }

  private removeSorted(v: number): void {
    const n = this.size;
    const i = this.lowerBound(v, n);
    this.sorted.copyWithin(i, i + 1, n);
  }
}

/** Sum of the last `capacity` values pushed (NaN pushes count as absent). */
export class RollingSum {
  private readonly ring: Float64Array;
  private head = 0;
  private size = 0;
  private total = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity).fill(NaN);
  }

  push(v: number): void {
    const old = this.ring[this.head]!;
    if (this.size === this.capacity && !Number.isNaN(old)) {
      this.total -= old;
      this.filled--;
    }
    if (this.size < this.capacity) this.size++;
    this.ring[this.head] = v;
    if (!Number.isNaN(v)) {
      this.total += v;
      this.filled++;
    }
    this.head = (this.head + 1) % this.capacity;
  }

  get sum(): number {
    return this.total;
  }

  /** Non-NaN values in the window. */
  get count(): number {
    return this.filled;
  }
}
