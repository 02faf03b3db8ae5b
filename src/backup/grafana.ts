// The grafana part: every dashboard through Grafana's HTTP API (grafana.com/docs/grafana/latest/
// developers/http_api/): GET /api/search?type=dash-db&limit=N&page=P lists dashboards (uid,
// title, folderUid, folderTitle; at most `limit` per page, pages from 1), then
// GET /api/dashboards/uid/{uid} exports one as {dashboard, meta}. Authentication: a service
// account token as `Authorization: Bearer` (Viewer role suffices), read from the app setting the
// config names. One JSON document per dashboard, {dashboard, meta}: what the import API takes back
// (POST /api/dashboards/db with {dashboard, folderUid, overwrite}).
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import { paths, partIds, PART_FORMAT, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import type { BackupSimplePartInput, PartSummary } from '../domain/backup-types.js';

const PAGE = 1000;

export async function backupGrafana(env: BackupEnv, input: BackupSimplePartInput): Promise<PartSummary> {
  const part = partIds.grafana;
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const cfg = clusterBackupConfig(env, input.cluster).grafana;
  if (!cfg) throw new Error(`cluster ${input.cluster} has no backups grafana section`);
  const token = env.setting(cfg.tokenSetting);
  if (!token) throw new Error(`app setting ${cfg.tokenSetting} (the Grafana service-account token) is not set. Fix: set it, as a Key Vault reference in Azure`);
  const doFetch = env.fetch ?? fetch;
  const base = cfg.url.replace(/\/+$/, '');
  const get = async (path: string): Promise<unknown> => {
    const res = await doFetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
    if (!res.ok) {
      const body = (await res.text()).slice(0, 200).split(token).join('[redacted]');
      throw new Error(`Grafana GET ${path}: HTTP ${res.status}${res.status === 401 || res.status === 403 ? ` (check the token in ${cfg.tokenSetting} and its role)` : ''}: ${body}`);
    }
    return res.json();
  };
  const found: Array<{ uid: string; title: string }> = [];
  for (let page = 1; ; page++) {
    const hits = (await get(`/api/search?type=dash-db&limit=${PAGE}&page=${page}`)) as Array<{ uid?: string; title?: string; type?: string }>;
    if (!Array.isArray(hits)) throw new Error('Grafana /api/search did not answer a list');
    for (const h of hits) if (h.type === 'dash-db' && typeof h.uid === 'string') found.push({ uid: h.uid, title: String(h.title ?? '') });
    if (hits.length < PAGE) break;
  }
  const container = env.backups.containers.grafana;
  const items: ManifestItem[] = [];
  const unique = [...new Map(found.map((d) => [d.uid, d])).values()].sort((a, b) => (a.uid < b.uid ? -1 : 1));
  // A few exports at a time: each is one GET and one blob.
  const queue = [...unique];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const doc = (await get(`/api/dashboards/uid/${encodeURIComponent(d.uid)}`)) as { dashboard?: unknown; meta?: unknown };
      const path = paths.grafana(input.cluster, input.backupId, d.uid);
      const stored = await env.blobs.writeOnceBuffer(container, path, JSON.stringify({ dashboard: doc.dashboard, meta: doc.meta }), { aksopsuid: encodeURIComponent(d.uid) });
      items.push({ part, type: 'grafana', container, path, size: stored.size, sha256: stored.sha256, uid: d.uid, title: d.title });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  items.sort((a, b) => (a.path < b.path ? -1 : 1));
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items, warnings: [] });
  return summarize(record, false);
}
