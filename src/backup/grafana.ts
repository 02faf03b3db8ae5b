// The grafana part: every dashboard through Grafana's HTTP API (grafana.com/docs/grafana/latest/
// developers/http_api/): GET /api/search?type=dash-db&limit=N&page=P lists dashboards (uid,
// title, folderUid, folderTitle; at most `limit` per page, pages from 1), then
// GET /api/dashboards/uid/{uid} exports one as {dashboard, meta}. Authentication: a service
// account token as `Authorization: Bearer` (Viewer role suffices), read from the app setting the
// config names. One JSON document per dashboard, {dashboard, meta}: what the import API takes back
// (POST /api/dashboards/db with {dashboard, folderUid, overwrite}).
import type { BackupEnv } from './env.js';
import { clusterBackupConfig } from './env.js';
import type { ClusterBackupConfig } from '../config/backup-schema.js';
import { paths, partIds, PART_FORMAT, type ManifestItem } from './manifest.js';
import { readPartRecord, summarize, writePartRecord } from './engine.js';
import type { BackupSimplePartInput, PartSummary } from '../domain/backup-types.js';

const PAGE = 1000;

/** 401/403: the token or its role is wrong; nothing else will work either. */
export class GrafanaAccessError extends Error {}

type GrafanaConfig = NonNullable<ClusterBackupConfig['grafana']>;

/** GET and POST on the configured Grafana (URL from config only), token from the app setting; errors never carry the token. */
export function grafanaClient(
  env: BackupEnv,
  cluster: string,
  write = false,
): {
  cfg: GrafanaConfig;
  get: (path: string) => Promise<unknown>;
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
} {
  const cfg = clusterBackupConfig(env, cluster).grafana;
  if (!cfg) throw new Error(`cluster ${cluster} has no backups grafana section`);
  const setting = write ? (cfg.restoreTokenSetting ?? cfg.tokenSetting) : cfg.tokenSetting;
  const token = env.setting(setting);
  if (!token) throw new Error(`app setting ${setting} (the Grafana service-account token) is not set. Fix: set it, as a Key Vault reference in Azure`);
  const doFetch = env.fetch ?? fetch;
  const base = cfg.url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body: parsed, text };
  };
  const fail = (method: string, path: string, r: { status: number; text: string }) =>
    new (r.status === 401 || r.status === 403 ? GrafanaAccessError : Error)(
      `Grafana ${method} ${path}: HTTP ${r.status}${r.status === 401 || r.status === 403 ? ` (check the token in ${setting} and its role${write ? ': restores need Editor' : ''})` : ''}: ${r.text.slice(0, 200).split(token).join('[redacted]')}`,
    );
  return {
    cfg,
    async get(path) {
      const r = await call('GET', path);
      if (r.status < 200 || r.status > 299) throw fail('GET', path, r);
      return r.body;
    },
    async call(method, path, body) {
      const r = await call(method, path, body);
      if (r.status === 401 || r.status === 403 || r.status >= 500) throw fail(method, path, r);
      return { status: r.status, body: r.body };
    },
  };
}

export async function backupGrafana(env: BackupEnv, input: BackupSimplePartInput): Promise<PartSummary> {
  const part = partIds.grafana;
  const existing = await readPartRecord(env, input.cluster, input.backupId, part);
  if (existing) return summarize(existing, true);
  const { get } = grafanaClient(env, input.cluster);
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
      const stored = await env.blobs.writeOnceBuffer(container, path, JSON.stringify({ dashboard: doc.dashboard, meta: doc.meta }), {
        aksopsuid: encodeURIComponent(d.uid),
      });
      items.push({ part, type: 'grafana', container, path, size: stored.size, sha256: stored.sha256, uid: d.uid, title: d.title });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  items.sort((a, b) => (a.path < b.path ? -1 : 1));
  const record = await writePartRecord(env, { format: PART_FORMAT, backupId: input.backupId, cluster: input.cluster, part, items, warnings: [] });
  return summarize(record, false);
}
