// The web console in real headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// served by the app's own handlers (GET /api/console/...) over Azurite and the fakes, with an
// Easy Auth principal on every request as App Service Authentication would add it. Covers:
// approve a waiting run and see it proceed, filter the audit (server-side, paged), open a backup
// manifest, toggle pause, read the forecast chart's data, start a backup and see it running,
// verify a backup and read the verdict (the verification really runs), approve a budget stage and
// see it proceed, read each secret's next due date; axe-core: no serious violations; and writes a
// screenshot of every page to docs/console/.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { markAwaitingApproval, principalHeader, seedBudgetWaiting, startConsoleWorld, BACKUP_ID, type ConsoleWorld } from '../support/console-world.js';
import { AuditStore } from '../../src/adapters/audit-store.js';
import { readSettings } from '../../src/config/settings.js';
import type { BudgetState } from '../../src/budget/state.js';

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
    expect(await m.locator('p').first().textContent()).toMatch(/finished .+ · by schedule:nightly$/);
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

  it('Backups: starts a backup of a namespace and sees it running; verifies a backup and reads the verdict', async () => {
    await open('backups');
    await page.getByLabel('Namespaces (empty: everything)').fill('shop');
    await page.getByRole('button', { name: 'Start backup' }).click();
    await expect
      .poll(() => page.locator('[role=status]').first().textContent(), { timeout: 15_000 })
      .toMatch(/^Started \d{8}T\d{6}Z-manual-[0-9a-f]{6} \(started\)$/);
    const started = w.durable.starts.find((x) => x.name === 'backup')!;
    expect(started.input).toMatchObject({
      cluster: 'ms5-prod',
      scope: { namespaces: ['shop'] },
      trigger: 'http',
      requestedBy: expect.stringContaining('bob@contoso.com'),
    });
    await expect.poll(() => page.getByTestId('running-backups').textContent(), { timeout: 15_000 }).toContain(started.instanceId);
    // Verify: the app starts backupVerification, which really re-reads the backup from Azurite.
    await page.getByRole('button', { name: `Verify ${BACKUP_ID}` }).click();
    await expect.poll(() => page.getByTestId('verify-result').textContent(), { timeout: 60_000 }).toBe('verified');
    const row = page.locator('[data-testid=backups] tbody tr', { hasText: BACKUP_ID });
    expect(await row.textContent()).toMatch(/verified: \d+ item\(s\), \d+ bytes checked/);
    const verification = w.durable.starts.find((x) => x.name === 'backupVerification')!;
    expect(verification.input).toMatchObject({ cluster: 'ms5-prod', backupId: BACKUP_ID, requestedBy: expect.stringContaining('bob@contoso.com') });
    const audit = (await (await fetch(`${w.host.url}/api/audit?since=1h&decision=verify`)).json()) as {
      items: { actor: string; result: string; target: string }[];
    };
    expect(audit.items).toEqual([
      expect.objectContaining({ result: 'verified', target: `ms5-prod/backup/${BACKUP_ID}`, actor: expect.stringContaining('bob@contoso.com') }),
    ]);
    // An identity without the Operator role cannot start one.
    const refused = await fetch(`${w.host.url}/api/backups/${BACKUP_ID}/verify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ms-client-principal': principalHeader('eve@contoso.com', []),
        'x-ms-client-principal-name': 'eve@contoso.com',
      },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    // A fresh page knows the verdict from the audit (the list's lastVerification), not from this session.
    await page.reload();
    await page.waitForSelector('[data-testid=backups] tbody tr');
    const reloaded = page.locator('[data-testid=backups] tbody tr', { hasText: BACKUP_ID });
    await expect.poll(() => reloaded.getByTestId('verify-result').textContent(), { timeout: 15_000 }).toBe('verified');
    expect(await reloaded.textContent()).toMatch(/verified: \d+ item\(s\), \d+ bytes checked .*bob@contoso\.com/);
    await page.getByRole('button', { name: `Open manifest of ${BACKUP_ID}` }).click();
    await page.getByTestId('manifest').waitFor();
    await shot('backups');
    expect(await axeSerious()).toEqual([]);
  });

  it('Budgets: Approve decides the stage that waits; the enforcement receives it and the stage proceeds', async () => {
    const status = (await (await fetch(`${w.host.url}/api/budgets/prod-nodes`)).json()) as { period: { key: string } };
    const id = seedBudgetWaiting(w.durable, 'prod-nodes', status.period.key, 1);
    await open('budgets');
    const card = page.getByTestId('budget-waiting');
    await card.waitFor();
    expect(await card.textContent()).toContain('Stage slow-down waits for approval');
    await shot('budgets');
    expect(await axeSerious()).toEqual([]);
    await card.getByRole('button', { name: 'Approve' }).click();
    const inst = w.durable.instances.get(id)!;
    await expect.poll(() => inst.events.length, { timeout: 15_000 }).toBe(1);
    expect(inst.events[0]).toMatchObject({
      name: 'budgetApproval',
      data: { approve: true, stage: 'slow-down', by: expect.stringContaining('bob@contoso.com') },
    });
    // What the enforcement records when it goes on (dry-run budget: the stage is reported), then releases the lease.
    const key = [...w.durable.entities.keys()].find((k) => k.startsWith('budget/prod-nodes'))!;
    const st = w.durable.entities.get(key) as BudgetState;
    const at = new Date().toISOString();
    w.durable.entities.set(key, {
      ...st,
      lease: null,
      approvals: st.approvals.map((a) => ({ ...a, status: 'approved' as const, by: 'bob@contoso.com' })),
      dryRun: [{ index: 1, name: 'slow-down', mode: 'dry-run', firedAt: at, percent: 101 }],
    });
    await expect.poll(() => page.getByTestId('budget-waiting').count(), { timeout: 15_000 }).toBe(0);
    expect(await page.getByTestId('budget').locator('tbody tr', { hasText: 'slow-down' }).textContent()).toContain('reported');
  });

  it('Rotations: each secret shows its next due date and last result from the audit', async () => {
    const at = new Date(Date.now() - 10 * 86_400_000).toISOString();
    await AuditStore.fromSettings(readSettings(process.env)).write([
      {
        id: 'rotation-redis-password-v7:result',
        at,
        kind: 'result',
        actor: 'sweep',
        instanceId: 'rotation-redis-password-v7',
        runbook: 'secret-rotation',
        target: 'keyvault/redis-password',
        result: 'rotated',
        detail: 'new version v8',
      },
    ]);
    await open('rotations');
    // validityDays 90 (default), window 30d (default): due 60 days after the rotation.
    const due = new Date(Date.parse(at) + 60 * 86_400_000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
    await expect.poll(() => page.getByTestId('next-due').first().textContent(), { timeout: 15_000 }).toBe(due);
    const row = page.getByTestId('secrets').locator('tbody tr', { hasText: 'redis-password' });
    expect(await row.textContent()).toContain('rotated');
    expect(await row.textContent()).toContain('new version v8');
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
