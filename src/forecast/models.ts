// The candidate forecasters, behind one online interface: observe the value at index t (reading
// nothing after t), then forecast k steps ahead of t. The rolling engine (engine.ts) runs them all
// side by side and picks one per origin by recent asymmetric loss.
import { fitHoltWinters, holtWintersMinHistory, type HoltWinters, type HoltWintersParams } from './holt-winters.js';

export interface Forecaster {
  readonly name: string;
  /** Can it forecast from the last observed origin? */
  readonly ready: boolean;
  /** y[t] was just observed; only y[0..t] may be read. */
  observe(y: ArrayLike<number>, t: number): void;
  /** Forecast k >= 1 steps after the last observed origin. */
  forecast(k: number): number;
}

/** Tomorrow is like today: the last value. */
export class Persistence implements Forecaster {
  readonly name = 'persistence';
  private last = NaN;
  get ready(): boolean {
    return !Number.isNaN(this.last);
  }
  observe(y: ArrayLike<number>, t: number): void {
    this.last = y[t]!;
  }
  forecast(): number {
    return this.last;
  }
}

/** The value one season (m steps) before the target. */
export class SeasonalNaive implements Forecaster {
  private y: ArrayLike<number> = [];
  private t = -1;
  constructor(
    readonly name: string,
    readonly m: number,
  ) {}
  get ready(): boolean {
    return this.t + 1 >= this.m;
  }
  observe(y: ArrayLike<number>, t: number): void {
    this.y = y;
    this.t = t;
  }
  forecast(k: number): number {
    const i = this.t + k - this.m * Math.ceil(k / this.m);
    return i >= 0 ? this.y[i]! : NaN;
  }
}

/** Holt-Winters over the detected periods, refitted on demand (engine.ts decides when). */
export class HoltWintersForecaster implements Forecaster {
  private model: HoltWinters | undefined;
  private periodsUsed: readonly number[] = [];
  /** Last index the model's state includes. */
  private lastIndex = -1;
  params: HoltWintersParams | undefined;

  constructor(
    private readonly stepMs: number,
    private readonly horizons: readonly number[],
  ) {}

  get name(): string {
    return holtWintersName(this.periodsUsed, this.stepMs);
  }

  get ready(): boolean {
    return this.model !== undefined;
  }

  get periods(): readonly number[] {
    return this.periodsUsed;
  }

  /** Refit on y[0..t] with these periods (steps); keeps the old model while the history is too short. */
  refit(y: ArrayLike<number>, t: number, periods: readonly number[]): void {
    if (t + 1 < holtWintersMinHistory(periods, this.stepMs)) return;
    const fit = fitHoltWinters(y, t + 1, periods, { stepMs: this.stepMs, horizons: this.horizons });
    this.model = fit.model;
    this.params = fit.params;
    this.periodsUsed = periods;
    this.lastIndex = t;
  }

  observe(y: ArrayLike<number>, t: number): void {
    if (!this.model || t <= this.lastIndex) return;
    this.model.observe(y[t]!);
    this.lastIndex = t;
  }

  forecast(k: number): number {
    return this.model ? this.model.forecast(k) : NaN;
  }
}

export function holtWintersName(periods: readonly number[], stepMs: number): string {
  if (periods.length === 0) return 'exp-smoothing-ar';
  const days = periods.map((p) => `${Math.round((p * stepMs) / 86_400_000)}d`);
  return `holt-winters(${days.join(',')})`;
}
