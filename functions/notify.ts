// The morning digest (src/notify/digest.ts, docs/windows.md#morning-digest): every 5 minutes,
// send the warnings held out of hours whose business-hours start has come. Idempotent: an
// overlapping or repeated run sends nothing twice.
import { app } from '@azure/functions';
import { opsNotifyDeps } from './lib/ops-notify.js';

export const DIGEST_SCHEDULE = '0 */5 * * * *';

app.timer('digestTimer', {
  schedule: DIGEST_SCHEDULE,
  handler: async (_timer, context) => {
    const [{ sendDueDigests }, deps] = await Promise.all([import('../src/notify/digest.js'), opsNotifyDeps(context)]);
    const reports = await sendDueDigests(deps);
    if (reports.length > 0) context.log(`digest: ${reports.map((r) => `${r.target} ${r.digestAt} ${r.items} item(s) ${r.result}`).join(', ')}`);
  },
});
