// Scaling: per pool, actual vs forecast, the upper bound and predictive vs reactive capacity on a
// uPlot chart (drag to zoom, double-click to reset) over a selectable range; MASE, coverage and the
// mode with its reasons. The data the chart holds is on window.aksopsCharts for tests and scripts.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api } from './api.js';
import { html, useApi, ErrorLine } from './ui.js';

window.aksopsCharts = window.aksopsCharts ?? {};

function Chart({ pool }) {
  const el = useRef(null);
  useEffect(() => {
    const s = pool.series;
    if (!s || !el.current) return undefined;
    const t = s.at.map((x) => Date.parse(x) / 1000);
    const data = [t, s.actual, s.forecast, s.upper, s.predictiveCapacity, s.reactiveCapacity];
    const u = new uPlot(
      {
        width: Math.min(1200, el.current.clientWidth || 1000),
        height: 320,
        cursor: { drag: { x: true, y: false } },
        series: [
          {},
          { label: 'actual', stroke: '#1b1f24' },
          { label: 'forecast', stroke: '#0a58ca' },
          { label: 'upper bound', stroke: '#c2410c', dash: [4, 3] },
          { label: 'predictive capacity', stroke: '#15803d', paths: uPlot.paths.stepped({ align: 1 }) },
          { label: 'reactive capacity', stroke: '#b91c1c', dash: [2, 2], paths: uPlot.paths.stepped({ align: 1 }) },
        ],
        axes: [{}, { label: 'pod requests (units)' }],
      },
      data,
      el.current,
    );
    window.aksopsCharts[`${pool.cluster}/${pool.pool}`] = {
      labels: ['time', 'actual', 'forecast', 'upper', 'predictiveCapacity', 'reactiveCapacity'],
      data,
      zoom: (min, max) => u.setScale('x', { min, max }),
      scale: () => ({ min: u.scales.x.min, max: u.scales.x.max }),
    };
    return () => u.destroy();
  }, [pool]);
  return html`<div
    ref=${el}
    role="img"
    aria-label=${`Chart of ${pool.cluster}/${pool.pool}: actual, forecast, upper bound, predictive and reactive capacity`}
  ></div>`;
}

export function ScalingPage() {
  const [days, setDays] = useState('7');
  const { data, error } = useApi(() => api(`/api/scaling/report?series=true&days=${days}`), [days]);
  return html`<h2>Scaling</h2>
    <label
      >Time range
      <select value=${days} onChange=${(e) => setDays(e.target.value)} aria-label="Time range">
        ${[
          ['1', 'last day'],
          ['3', 'last 3 days'],
          ['7', 'last 7 days'],
          ['30', 'last 30 days'],
        ].map(([v, l]) => html`<option value=${v}>${l}</option>`)}
      </select></label
    >
    <p class="muted">Drag across the chart to zoom; double-click to reset.</p>
    <${ErrorLine} error=${error} />
    ${(data?.pools ?? []).map(
      (p) =>
        html`<section class="card" data-testid="pool" key=${p.cluster + p.pool} aria-label=${`Pool ${p.cluster}/${p.pool}`}>
          <h3>${p.cluster}/${p.pool} <span class="badge">${p.mode ?? p.configuredMode}</span></h3>
          <p>
            MASE vs persistence <strong data-testid="mase">${p.forecast.maseVsPersistence ?? 'n/a'}</strong> · vs seasonal naive
            ${p.forecast.maseVsSeasonalNaive ?? 'n/a'} · accuracy (1 − WAPE) <strong data-testid="accuracy">${p.forecast.accuracy ?? 'n/a'}</strong> · coverage
            of the upper bound <strong>${p.forecast.coverage ?? 'n/a'}</strong> · ${p.intervals} intervals · extra node-hours vs reactive
            ${p.provisioning.extraNodeHoursVsReactive ?? 'n/a'}
          </p>
          ${
            p.modeReasons.length
              ? html`<ul>
                  ${p.modeReasons.map((r) => html`<li>${r}</li>`)}
                </ul>`
              : null
          }
          <${Chart} pool=${p} />
        </section>`,
    )}`;
}
