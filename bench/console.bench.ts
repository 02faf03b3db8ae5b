// Console load time: headless Chromium (Debian's /usr/bin/chromium via playwright-core) opens the
// Audit page served by the app's own handlers (test/support/app-host.ts) over a real Azurite audit
// table holding 10,000 rows, and we time goto -> first page of rows rendered (median of 7).
// Baseline in the same run: the same page over a table of 100 rows. The page asks the app for one
// page (limit 50, filtered server-side), so the figure should not grow with the table.
// Also reports the bytes the console ships (every file GET /api/console/ can serve), raw and gzip.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startAzurite } from '../test/support/azurite.js';
import { FakeDurableExtension } from '../test/fakes/durable-extension.js';
import { startAppHost } from '../test/support/app-host.js';
import { seedAudit } from '../test/support/audit-seed.js';
import { AuditStore } from '../src/adapters/audit-store.js';
import { readSettings } from '../src/config/settings.js';
import { consoleAssets } from '../src/console/assets.js';
import { type Benchmark, type BenchResult, median, nowMs, round, withRatio } from './lib.js';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const consoleBenchmark: Benchmark = {
  name: 'console',
  async run(): Promise<BenchResult[]> {
    const azurite = await startAzurite();
    const durable = await new FakeDurableExtension().start();
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
    try {
      const now = new Date();
      const tables = { big: 'benchaudit10k', small: 'benchaudit100' };
      process.env['AzureWebJobsStorage'] = azurite.connectionString;
      await seedAudit(AuditStore.fromSettings(readSettings({ AzureWebJobsStorage: azurite.connectionString, AUDIT_TABLE_NAME: tables.big })), 10_000, now);
      await seedAudit(AuditStore.fromSettings(readSettings({ AzureWebJobsStorage: azurite.connectionString, AUDIT_TABLE_NAME: tables.small })), 100, now);
      const host = await startAppHost(durable);
      // The audit handler reads AUDIT_TABLE_NAME on each call (functions/audit.ts builds its store per request).
      const load = async (table: string): Promise<number> => {
        process.env['AUDIT_TABLE_NAME'] = table;
        const page = await browser.newPage();
        const t0 = nowMs();
        await page.goto(`${host.url}/api/console/#/audit`);
        await page.waitForSelector('[data-testid=audit] tbody tr');
        const ms = nowMs() - t0;
        await page.close();
        return ms;
      };
      await load(tables.small); // warm: module loads, first table client
      const big: number[] = [];
      const small: number[] = [];
      for (let i = 0; i < 7; i++) {
        small.push(await load(tables.small));
        big.push(await load(tables.big));
      }
      await host.stop();
      const assets = [...consoleAssets().values()];
      const raw = assets.reduce((s, a) => s + a.body.length, 0);
      const gz = assets.reduce((s, a) => s + gzipSync(a.body).length, 0);
      return [
        withRatio({
          name: 'console audit page load, 10k rows',
          value: round(median(big), 1),
          unit: 'ms',
          better: 'lower',
          baseline: round(median(small), 1),
          goal: 'does not grow with the table (one server-side page)',
        }),
        { name: 'console shipped assets (raw)', value: round(raw / 1024, 1), unit: 'KiB', better: 'lower' },
        { name: 'console shipped assets (gzip)', value: round(gz / 1024, 1), unit: 'KiB', better: 'lower' },
      ];
    } finally {
      await browser.close();
      await durable.stop();
      await azurite.stop();
    }
  },
};
