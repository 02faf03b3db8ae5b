// Daily task-hub and table hygiene (src/retention/purge.ts): purges finished Durable instances older
// than ops.yaml retention.instances (default 30d) and deletes rows of the app's own tables (audit,
// scaling, cost cache) older than retention.tables (default 1y). Runs at 03:17 UTC, outside the
// nightly backup window; a failed table does not stop the others (each is logged).
import type { InvocationContext, Timer } from '@azure/functions';
import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../src/config/settings.js';
import type { PurgeClient } from '../src/retention/purge.js';
import { clientTimer } from './lib/durable-lazy.js';
import { appSettings, configLoader } from './lib/runtime.js';

export const HYGIENE_SCHEDULE = '0 17 3 * * *';

export interface HygieneDeps {
  settings: () => Settings;
  retention: () => Promise<{ instances: string; tables: string }>;
  table: (settings: Settings, name: string) => Promise<TableClient>;
  now?: () => Date;
}

export interface HygieneResult {
  instancesDeleted: number;
  instancesBefore: string;
  rowsDeleted: Record<string, number | string>;
}

export function createHygieneHandler(d: HygieneDeps): (timer: Timer, client: PurgeClient, context: InvocationContext) => Promise<HygieneResult> {
  return async (_timer, client, context) => {
    const [{ purgeFinishedInstances, deleteRowsBefore, cutoff }, { redactSecrets }] = await Promise.all([
      import('../src/retention/purge.js'),
      import('../src/domain/redact.js'),
    ]);
    const now = (d.now ?? (() => new Date()))();
    const retention = await d.retention();
    const s = d.settings();
    const purged = await purgeFinishedInstances(client, now, retention.instances);
    context.log(`hygiene: purged ${purged.instancesDeleted} finished instance(s) created before ${purged.before}`);
    const rowsDeleted: Record<string, number | string> = {};
    const before = cutoff(now, retention.tables);
    for (const name of [s.auditTableName, s.scalingTableName, s.costCacheTableName]) {
      try {
        rowsDeleted[name] = await deleteRowsBefore(await d.table(s, name), before);
        context.log(`hygiene: deleted ${rowsDeleted[name]} row(s) of ${name} older than ${before.toISOString()}`);
      } catch (e) {
        rowsDeleted[name] = `failed: ${redactSecrets((e as Error).message)}`;
        context.error(`hygiene: table ${name}: ${rowsDeleted[name]}`);
      }
    }
    return { instancesDeleted: purged.instancesDeleted, instancesBefore: purged.before, rowsDeleted };
  };
}

const hygiene = createHygieneHandler({
  settings: appSettings,
  retention: async () => (await configLoader())().source.retention,
  table: async (s, name) => (await import('../src/adapters/table-client.js')).getTableClient(s, name),
});

clientTimer('hygieneTimer', {
  schedule: HYGIENE_SCHEDULE,
  handler: async (timer, client, context) => {
    await hygiene(timer, client as unknown as PurgeClient, context);
  },
});
