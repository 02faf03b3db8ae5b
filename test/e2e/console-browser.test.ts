// The web console in real headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// served by the app's own handlers (GET /api/console/...) over Azurite and the fakes, with an
// Easy Auth principal on every request as App Service Authentication would add it. Covers:
// approve a waiting run and see it proceed, filter the audit (server-side, paged), open a backup
// manifest, toggle pause, read the forecast chart's data; axe-core: no serious violations; and
// writes a screenshot of every page to docs/console/.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { markAwaitingApproval, principalHeader, startConsoleWorld, BACKUP_ID, type ConsoleWorld } from '../support/console-world.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let w: ConsoleWorld;
let browser: Browser;
let page: Page;
let runId: string;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

beforeAll(async () => {
  w = await startConsoleWorld({ auditRows: 300 });
  // A drain started by alice (Operator) waits for approval; bob (Approver) uses the console.
  const res = await fetch(`${w.host.url}/api/runbooks/drain-node`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ms-client-principal': principalHeader('alice@contoso.com', ['Operator']),
      'x-ms-client-principal-name': 'alice@contoso.com',
    },
    body: JSON.stringify({ params: { node: 'aks-compute-1-vmss000001' }, dryRun: false }),
  });
  runId = ((await res.json()) as { id: string }).id;
  markAwaitingApproval(w.durable, runId);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }); // playwright gives every launch a fresh temporary profile (its own --user-data-dir);
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    bypassCSP: true /* to inject axe-core; the CSP itself is checked below */,
    extraHTTPHeaders: {
      'x-ms-client-principal': principalHeader('bob@contoso.com', ['Approver', 'Operator']),
      'x-ms-client-principal-name': 'bob@contoso.com',
    },
  });
  page = await context.newPage();
  // Diagnostics in the test output when a page breaks.
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (m) => m.type() === 'error' && console.error('console:', m.text()));
  page.on('response', (r) => r.status() >= 400 && console.error('HTTP', r.status(), r.url()));
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

async function open(hash: string): Promise<void> {
  await page.goto(`${w.host.url}/api/console/#/${hash}`);
  await page.waitForSelector('main h2');
}

async function axeSerious(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async () =>
    (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run({
      resultTypes: ['violations'],
    }),
  );
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
}

const shot = (name: string) => page.screenshot({ path: `docs/console/${name}.png`, fullPage: false });

describe('web console in Chromium', () => {
  it('Now: shows the waiting run with its plan; Approve sends the decision and the run proceeds', async () => {
    await open('now');
    const card = page.getByTestId('waiting-run');
    await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
    expect(await card.textContent()).toContain('evict shop/api-7d9f');
    expect(await card.textContent()).toContain('ms5-prod/_/Node/aks-compute-1-vmss000001');
    await shot('now');
    // The orchestration proceeds when it receives the approval event (as the real one does).
    const inst = w.durable.instances.get(runId)!;
    await card.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => inst.events.length, { timeout: 15_000 }).toBe(1);
    expect(inst.events[0]).toMatchObject({ name: 'approval', data: { decision: 'approve', by: 'bob@contoso.com' } });
    inst.customStatus = { ...(inst.customStatus as object), phase: 'acting', progress: { done: 1, total: 4, detail: 'evicting' } };
    await expect.poll(() => page.getByTestId('waiting-run').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('runs').textContent(), { timeout: 15_000 }).toContain('acting');
    expect(await page.getByTestId('runs').textContent()).toContain('1/4');
  });

  it('Now: toggles pause with a reason; the app records who and why', async () => {
    await open('now');
    await page.getByLabel('Reason (goes into the audit log)').fill('maintenance INC-4242');
    await page.getByRole('button', { name: 'Pause automation' }).click();
    await expect.poll(() => page.getByTestId('pause-state').textContent(), { timeout: 15_000 }).toBe('paused');
    const state = (await (await fetch(`${w.host.url}/api/pause`)).json()) as { paused: boolean; switch: { by: string; reason: string } };
    expect(state).toMatchObject({ paused: true, switch: { by: 'bob@contoso.com', reason: 'maintenance INC-4242' } });
    await page.getByLabel('Reason (goes into the audit log)').fill('done');
    await page.getByRole('button', { name: 'Resume automation' }).click();
    await expect.poll(() => page.getByTestId('pause-state').textContent(), { timeout: 15_000 }).toBe('running');
    expect(await axeSerious()).toEqual([]);
  });

  it('Audit: filters by cluster, namespace and decision server-side and pages with the cursor', async () => {
    await open('audit');
    await page.waitForSelector('[data-testid=audit] tbody tr');
    expect(await page.locator('[data-testid=audit] tbody tr').count()).toBe(50);
    await page.getByLabel('Cluster').fill('ms5-prod');
    await page.getByLabel('Namespace').fill('payments');
    await page.getByLabel('Decision').fill('duplicate');
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/api/audit?') && r.url().includes('namespace=payments')),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    expect(new URL(req.url()).searchParams.get('decision')).toBe('duplicate');
    await expect
      .poll(
        async () =>
          (await page.locator('[data-testid=audit] tbody tr').allTextContents()).every((t) => t.includes('ms5-prod/payments/') && t.includes('duplicate')),
        { timeout: 15_000 },
      )
      .toBe(true);
    // 300 rows, i % 3 === 1 is payments/duplicate: 100 rows -> 50 on this page, 50 on the next.
    expect(await page.locator('[data-testid=audit] tbody tr').count()).toBe(50);
    await shot('audit');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toContain('Page 2: 50 record(s)');
    expect(await axeSerious()).toEqual([]);
  });

  it('Backups: opens a manifest with its items and warnings', async () => {
    await open('backups');
    await page.getByRole('button', { name: `Open manifest of ${BACKUP_ID}` }).click();
    const m = page.getByTestId('manifest');
    await m.waitFor();
    await expect.poll(async () => (await m.locator('tbody tr').count()) > 0, { timeout: 15_000 }).toBe(true);
    expect(await m.textContent()).toContain('snapshots: no VolumeSnapshotClass; skipped');
    await shot('backups');
    expect(await axeSerious()).toEqual([]);
  });

  it("Scaling: the chart holds the report's series, zooms, and the range selector asks the app", async () => {
    await open('scaling');
    await page.waitForSelector('[data-testid=pool] canvas');
    const chart = await page.evaluate(
      () => (globalThis as unknown as { aksopsCharts: Record<string, { labels: string[]; data: (number | null)[][] }> }).aksopsCharts['ms5-prod/compute']!,
    );
    const report = (await (await fetch(`${w.host.url}/api/scaling/report?series=true&days=7`)).json()) as {
      pools: { series: { actual: number[]; forecast: number[]; upper: number[] }; forecast: { accuracy: number | null } }[];
    };
    // The seed's figure (accuracy = 1 - WAPE) is shown next to MASE, from the same report.
    expect(report.pools[0]!.forecast.accuracy).toEqual(expect.any(Number));
    expect(await page.getByTestId('accuracy').first().textContent()).toBe(String(report.pools[0]!.forecast.accuracy));
    expect(chart.labels).toEqual(['time', 'actual', 'forecast', 'upper', 'predictiveCapacity', 'reactiveCapacity']);
    expect(chart.data[1]).toEqual(report.pools[0]!.series.actual);
    expect(chart.data[2]).toEqual(report.pools[0]!.series.forecast);
    expect(chart.data[0]!.length).toBeGreaterThan(500);
    // Forecast 3 % above actual, upper 20 % above: what the seeded history says.
    expect(chart.data[2]![100]! / chart.data[1]![100]!).toBeCloseTo(1.03, 5);
    const t = chart.data[0]!;
    await page.evaluate(
      ([a, b]) =>
        (globalThis as unknown as { aksopsCharts: Record<string, { zoom(a: number, b: number): void }> }).aksopsCharts['ms5-prod/compute']!.zoom(a!, b!),
      [t[100]!, t[200]!],
    );
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { aksopsCharts: Record<string, { scale(): { min: number; max: number } }> }).aksopsCharts['ms5-prod/compute']!.scale(),
      ),
    ).toEqual({ min: t[100], max: t[200] });
    await shot('scaling');
    const [req] = await Promise.all([page.waitForRequest((r) => r.url().includes('days=1')), page.getByLabel('Time range').selectOption('1')]);
    expect(req.url()).toContain('series=true');
    expect(await axeSerious()).toEqual([]);
  });

  it('Budgets and Rotations render from the app (config names, budget stages)', async () => {
    await open('budgets');
    await page.getByTestId('budget').waitFor();
    expect(await page.getByTestId('budget').textContent()).toMatch(/slow-down/);
    await shot('budgets');
    expect(await axeSerious()).toEqual([]);
    await open('rotations');
    await page.getByTestId('secrets').locator('tbody tr').first().waitFor();
    expect(await page.getByTestId('secrets').textContent()).toContain('redis-password');
    await shot('rotations');
    expect(await axeSerious()).toEqual([]);
  });

  it('serves the console with a strict CSP and nothing outside its file list', async () => {
    const index = await fetch(`${w.host.url}/api/console/`);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self' 'sha256-/);
    expect((await fetch(`${w.host.url}/api/console/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${w.host.url}/api/console/../local.settings.json`)).status).toBe(404);
    const etag = (await fetch(`${w.host.url}/api/console/app.js`)).headers.get('etag')!;
    expect((await fetch(`${w.host.url}/api/console/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});
