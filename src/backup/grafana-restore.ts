// Restores Grafana dashboards from a backup, by uid, into their folders, through Grafana's HTTP
// API (grafana.com/docs/grafana/latest/developers/http_api/dashboard/ and folder/):
//   GET  /api/folders/{uid}        404 when the folder is missing, then
//   POST /api/folders {uid, title} creates it with the uid and title the backup recorded;
//   GET  /api/dashboards/uid/{uid} 404 when the dashboard is missing (a conflict otherwise);
//   POST /api/dashboards/db {dashboard (id null), folderUid, overwrite, message}: 412 when the
//   dashboard exists and overwrite is false (a change between our check and the write).
// Conflict policy as for objects: `skip` leaves a live dashboard alone, `update` overwrites it.
// Dry-run reads only. The token comes from grafana.restoreTokenSetting (Editor), else tokenSetting.
import type { BackupEnv } from './env.js';
import { GrafanaAccessError, grafanaClient } from './grafana.js';
import { requestedItems } from './manifest-write.js';
import type { RestoreServiceInput, RestoreStepOutput } from '../domain/backup-types.js';

interface StoredDashboard {
  dashboard: Record<string, unknown> & { uid?: string; title?: string };
  meta?: { folderUid?: string; folderTitle?: string };
}

export async function restoreGrafana(env: BackupEnv, input: RestoreServiceInput): Promise<RestoreStepOutput> {
  const wanted = await requestedItems(env, input, 'grafana', (i) => i.uid, 'dashboard with uid');
  const grafana = grafanaClient(env, input.cluster, true);
  const out: RestoreStepOutput = { created: 0, updated: 0, skipped: 0, failed: [], objects: [] };
  const folders = new Map<string, 'exists' | 'created'>();
  for (const it of wanted) {
    const id = `Dashboard ${it.uid}`;
    try {
      const doc = JSON.parse((await env.blobs.readBuffer(it.container, it.path)).toString('utf8')) as StoredDashboard;
      const folderUid = doc.meta?.folderUid ?? '';
      if (folderUid !== '' && !folders.has(folderUid)) {
        const f = await grafana.call('GET', `/api/folders/${encodeURIComponent(folderUid)}`);
        if (f.status === 200) folders.set(folderUid, 'exists');
        else if (f.status !== 404) throw new Error(`GET /api/folders/${folderUid}: HTTP ${f.status}`);
        else {
          if (!input.dryRun) {
            const c = await grafana.call('POST', '/api/folders', { uid: folderUid, title: doc.meta?.folderTitle ?? folderUid });
            if (c.status !== 200) throw new Error(`creating folder ${folderUid}: HTTP ${c.status} ${JSON.stringify(c.body).slice(0, 200)}`);
          }
          folders.set(folderUid, 'created');
          out.objects.push(`Folder ${folderUid}`);
        }
      }
      const live = await grafana.call('GET', `/api/dashboards/uid/${encodeURIComponent(it.uid ?? '')}`);
      if (live.status !== 200 && live.status !== 404) throw new Error(`GET /api/dashboards/uid/${it.uid}: HTTP ${live.status}`);
      const exists = live.status === 200;
      if (exists && input.conflict === 'skip') {
        out.skipped += 1;
        continue;
      }
      if (!input.dryRun) {
        const r = await grafana.call('POST', '/api/dashboards/db', {
          dashboard: { ...doc.dashboard, id: null },
          ...(folderUid !== '' ? { folderUid } : {}),
          overwrite: exists,
          message: `restored by aks-estate-ops from backup ${input.backupId} (${input.restoreId})`,
        });
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      out[exists ? 'updated' : 'created'] += 1;
      out.objects.push(id);
    } catch (e) {
      if (e instanceof GrafanaAccessError) throw e;
      out.failed.push({ object: id, error: (e as Error).message.slice(0, 400) });
    }
  }
  return out;
}
