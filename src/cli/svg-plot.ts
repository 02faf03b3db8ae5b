// A plain SVG line chart (no dependency: a few paths, axes and a legend are all a reviewer needs
// to eyeball a backtest before switching a pool to enforce). Long series are bucketed to one
// column per pixel, keeping each bucket's minimum and maximum (drawn as a vertical stroke): peaks
// and troughs stay visible, and 215 days of 5-minute data read as an envelope, not a smear.

export interface PlotLine {
  name: string;
  color: string;
  values: ArrayLike<number>;
  dash?: string;
  /** Draw as a step line (capacity changes in whole nodes). */
  step?: boolean;
  width?: number;
}

export interface ChartOptions {
  title: string;
  /** Epoch ms per index. */
  times: ArrayLike<number>;
  lines: PlotLine[];
  yLabel?: string;
  width?: number;
  height?: number;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / mag;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return Number(v.toPrecision(4)).toString();
}

/** The minimum and maximum of each of `buckets` equal slices of the first n values (NaN where a slice has no finite value). */
export function minMaxPerBucket(values: ArrayLike<number>, n: number, buckets: number): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(buckets).fill(NaN);
  const max = new Float64Array(buckets).fill(NaN);
  const per = n / buckets;
  for (let b = 0; b < buckets; b++) {
    for (let i = Math.floor(b * per); i < Math.min(n, Math.floor((b + 1) * per)); i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(min[b]!) || v < min[b]!) min[b] = v;
      if (Number.isNaN(max[b]!) || v > max[b]!) max[b] = v;
    }
  }
  return { min, max };
}

export function lineChartSvg(o: ChartOptions): string {
  const width = o.width ?? 1400;
  const height = o.height ?? 520;
  const m = { left: 70, right: 20, top: 40, bottom: 70 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const n = o.times.length;
  const buckets = Math.max(1, Math.min(n, pw));
  let lo = Infinity;
  let hi = -Infinity;
  const reduced = o.lines.map((line) => {
    const r = minMaxPerBucket(line.values, n, buckets);
    for (let b = 0; b < buckets; b++) {
      if (Number.isNaN(r.min[b]!)) continue;
      lo = Math.min(lo, r.min[b]!);
      hi = Math.max(hi, r.max[b]!);
    }
    return r;
  });
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const yStep = niceStep(hi - lo, 6);
  hi = Math.ceil(hi / yStep) * yStep;
  const t0 = o.times[0] ?? 0;
  const t1 = o.times[n - 1] ?? 1;
  const x = (b: number) => m.left + (buckets <= 1 ? 0 : (b / (buckets - 1)) * pw);
  const y = (v: number) => m.top + ph - ((v - lo) / (hi - lo)) * ph;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  for (let v = lo; v <= hi + 1e-9 * yStep; v += yStep) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xTicks = 8;
  for (let i = 0; i <= xTicks; i++) {
    const px = m.left + (i / xTicks) * pw;
    const t = new Date(t0 + (i / xTicks) * (t1 - t0)).toISOString();
    parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${t.slice(0, 10)}</text>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${m.top + ph + 30}" text-anchor="middle">${t.slice(11, 16)}Z</text>`);
  }
  if (o.yLabel) parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  o.lines.forEach((line, li) => {
    const { min, max } = reduced[li]!;
    let d = '';
    let pen = false;
    for (let b = 0; b < buckets; b++) {
      const v = max[b]!;
      if (Number.isNaN(v)) {
        pen = false;
        continue;
      }
      if (!pen) d += `M${x(b).toFixed(1)},${y(v).toFixed(1)}`;
      else if (line.step) d += `H${x(b).toFixed(1)}V${y(v).toFixed(1)}`;
      else d += `L${x(b).toFixed(1)},${y(v).toFixed(1)}`;
      if (min[b]! !== v) d += `V${y(min[b]!).toFixed(1)}`;
      pen = true;
    }
    parts.push(
      `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 1.2}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}><title>${esc(line.name)}</title></path>`,
    );
  });
  o.lines.forEach((line, li) => {
    const lx = m.left + li * Math.floor(pw / Math.max(1, o.lines.length));
    const ly = height - 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${line.color}" stroke-width="2"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${ly}">${esc(line.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
