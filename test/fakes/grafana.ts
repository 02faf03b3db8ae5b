// A strict fake of the two Grafana HTTP API calls the grafana backup part uses (Grafana 10/11,
// grafana.com/docs/grafana/latest/developers/http_api/):
//   GET /api/search?type=dash-db&limit=N&page=P   [{id, uid, title, uri, url, slug, type, tags,
//                                                  isStarred, folderId, folderUid, folderTitle, folderUrl}]
//                                                  (type dash-folder entries appear without the type filter)
//   GET /api/dashboards/uid/{uid}                  {meta: {type, slug, url, version, folderUid, folderTitle, ...}, dashboard: {...}}
//   GET  /api/folders/{uid}                       {uid, title, ...}; 404 {"message":"folder not found"}
//   POST /api/folders {uid, title}                {uid, title, ...}; 409 {"message":"a folder with the same uid already exists"}
//   POST /api/dashboards/db {dashboard, folderUid?, overwrite?, message?}
//                                                  {id, uid, url, status: "success", version, slug}; 400 for a
//                                                  missing folder or uid; 412 {"status":"name-exists"} when the uid
//                                                  exists and overwrite is not true
// Auth: `Authorization: Bearer <service account token>`; otherwise 401 {"message":"Unauthorized"}.
// Writes need the editor token (constructor's third argument, default the same token): 403
// {"message":"Access denied"} for a Viewer token.
// Unknown uid: 404 {"message":"Dashboard not found"}. limit above 5000: 422 (Grafana's maximum).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from '../../src/domain/text.js';

export interface FakeDashboard {
  uid: string;
  title: string;
  folderUid?: string;
  folderTitle?: string;
  panels?: unknown[];
}

export class FakeGrafana {
  readonly requests: Array<{ method: string; path: string; query: Record<string, string>; status: number; body?: unknown }> = [];
  readonly folders = new Map<string, string>();
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly token: string,
    readonly dashboards: FakeDashboard[],
    private readonly editorToken = token,
  ) {
    for (const d of dashboards) if (d.folderUid) this.folders.set(d.folderUid, d.folderTitle ?? d.folderUid);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer(
      (req, res) =>
        void (async () => {
          const url = new URL(req.url ?? '/', 'http://fake');
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const raw = Buffer.concat(chunks).toString('utf8');
          const rec: FakeGrafana['requests'][number] = {
            method: req.method ?? 'GET',
            path: url.pathname,
            query: Object.fromEntries(url.searchParams.entries()),
            status: 0,
            ...(raw ? { body: JSON.parse(raw) as unknown } : {}),
          };
          this.requests.push(rec);
          const send = (status: number, body: unknown) => {
            rec.status = status;
            const text = JSON.stringify(body);
            res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
            res.end(text);
          };
          const auth = req.headers.authorization;
          if (auth !== `Bearer ${this.token}` && auth !== `Bearer ${this.editorToken}`) return send(401, { message: 'Unauthorized' });
          if (req.method === 'POST') {
            if (auth !== `Bearer ${this.editorToken}`) return send(403, { message: 'Access denied' });
            return this.write(url.pathname, rec.body as Record<string, unknown>, send);
          }
          if (req.method !== 'GET') return send(405, { message: 'Method not allowed' });
          const folder = /^\/api\/folders\/([^/]+)$/.exec(url.pathname);
          if (folder) {
            const uid = decodeURIComponent(folder[1]!);
            const title = this.folders.get(uid);
            return title === undefined ? send(404, { message: 'folder not found' }) : send(200, { uid, title, url: `/dashboards/f/${uid}/` });
          }
          if (url.pathname === '/api/search') {
            const limit = Number(url.searchParams.get('limit') ?? '1000');
            const page = Number(url.searchParams.get('page') ?? '1');
            if (limit > 5000) return send(422, { message: 'Limit is above maximum allowed (5000), use page instead' });
            const type = url.searchParams.get('type');
            const folders = [...new Map(this.dashboards.filter((d) => d.folderUid).map((d) => [d.folderUid!, d])).values()].map((d, i) => ({
              id: 1000 + i,
              uid: d.folderUid,
              title: d.folderTitle,
              uri: `db/${d.folderUid}`,
              url: `/dashboards/f/${d.folderUid}/`,
              slug: '',
              type: 'dash-folder',
              tags: [],
              isStarred: false,
            }));
            const dash = this.dashboards.map((d, i) => ({
              id: i + 1,
              uid: d.uid,
              title: d.title,
              uri: `db/${d.uid}`,
              url: `/d/${d.uid}/${d.uid}`,
              slug: '',
              type: 'dash-db',
              tags: [],
              isStarred: false,
              ...(d.folderUid ? { folderId: 1000, folderUid: d.folderUid, folderTitle: d.folderTitle, folderUrl: `/dashboards/f/${d.folderUid}/` } : {}),
            }));
            const all = type === 'dash-db' ? dash : [...folders, ...dash];
            return send(200, all.slice((page - 1) * limit, page * limit));
          }
          const m = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
          if (m) {
            const d = this.dashboards.find((x) => x.uid === decodeURIComponent(m[1]!));
            if (!d) return send(404, { message: 'Dashboard not found' });
            return send(200, {
              meta: {
                type: 'db',
                canSave: false,
                slug: d.uid,
                url: `/d/${d.uid}/${d.uid}`,
                version: 3,
                folderUid: d.folderUid ?? '',
                folderTitle: d.folderTitle ?? 'General',
                provisioned: false,
              },
              dashboard: {
                id: this.dashboards.indexOf(d) + 1,
                uid: d.uid,
                title: d.title,
                tags: [],
                timezone: 'browser',
                schemaVersion: 39,
                version: 3,
                panels: d.panels ?? [],
              },
            });
          }
          return send(404, { message: 'Not found' });
        })(),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private write(path: string, body: Record<string, unknown>, send: (status: number, body: unknown) => void): void {
    if (path === '/api/folders') {
      const uid = text(body['uid']);
      if (uid === '' || typeof body['title'] !== 'string') return send(400, { message: 'bad request data' });
      if (this.folders.has(uid)) return send(409, { message: 'a folder with the same uid already exists' });
      this.folders.set(uid, body['title']);
      return send(200, { uid, title: body['title'] });
    }
    if (path !== '/api/dashboards/db') return send(404, { message: 'Not found' });
    const d = body['dashboard'] as { uid?: string; title?: string; panels?: unknown[] } | undefined;
    if (!d?.uid || !d.title) return send(400, { message: 'Dashboard title cannot be empty' });
    const folderUid = typeof body['folderUid'] === 'string' ? body['folderUid'] : undefined;
    if (folderUid && !this.folders.has(folderUid)) return send(400, { message: 'folder not found' });
    const i = this.dashboards.findIndex((x) => x.uid === d.uid);
    if (i >= 0 && body['overwrite'] !== true) return send(412, { message: 'A dashboard with the same uid already exists', status: 'name-exists' });
    const next: FakeDashboard = {
      uid: d.uid,
      title: d.title,
      ...(folderUid ? { folderUid, folderTitle: this.folders.get(folderUid)! } : {}),
      panels: d.panels ?? [],
    };
    if (i >= 0) this.dashboards[i] = next;
    else this.dashboards.push(next);
    return send(200, { id: this.dashboards.indexOf(next) + 1, uid: d.uid, url: `/d/${d.uid}/${d.uid}`, status: 'success', version: 1, slug: d.uid });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
