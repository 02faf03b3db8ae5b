// A strict fake of the two Grafana HTTP API calls the grafana backup part uses (Grafana 10/11,
// grafana.com/docs/grafana/latest/developers/http_api/):
//   GET /api/search?type=dash-db&limit=N&page=P   [{id, uid, title, uri, url, slug, type, tags,
//                                                  isStarred, folderId, folderUid, folderTitle, folderUrl}]
//                                                  (type dash-folder entries appear without the type filter)
//   GET /api/dashboards/uid/{uid}                  {meta: {type, slug, url, version, folderUid, folderTitle, ...}, dashboard: {...}}
// Auth: `Authorization: Bearer <service account token>`; otherwise 401 {"message":"Unauthorized"}.
// Unknown uid: 404 {"message":"Dashboard not found"}. limit above 5000: 422 (Grafana's maximum).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDashboard {
  uid: string;
  title: string;
  folderUid?: string;
  folderTitle?: string;
  panels?: unknown[];
}

export class FakeGrafana {
  readonly requests: Array<{ path: string; query: Record<string, string>; status: number }> = [];
  private server: Server | undefined;
  private port = 0;

  constructor(
    private readonly token: string,
    readonly dashboards: FakeDashboard[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rec = { path: url.pathname, query: Object.fromEntries(url.searchParams.entries()), status: 0 };
      this.requests.push(rec);
      const send = (status: number, body: unknown) => {
        rec.status = status;
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { message: 'Unauthorized' });
      if (req.method !== 'GET') return send(405, { message: 'Method not allowed' });
      if (url.pathname === '/api/search') {
        const limit = Number(url.searchParams.get('limit') ?? '1000');
        const page = Number(url.searchParams.get('page') ?? '1');
        if (limit > 5000) return send(422, { message: 'Limit is above maximum allowed (5000), use page instead' });
        const type = url.searchParams.get('type');
        const folders = [...new Map(this.dashboards.filter((d) => d.folderUid).map((d) => [d.folderUid!, d])).values()].map((d, i) => ({
          id: 1000 + i, uid: d.folderUid, title: d.folderTitle, uri: `db/${d.folderUid}`, url: `/dashboards/f/${d.folderUid}/`, slug: '', type: 'dash-folder', tags: [], isStarred: false,
        }));
        const dash = this.dashboards.map((d, i) => ({
          id: i + 1, uid: d.uid, title: d.title, uri: `db/${d.uid}`, url: `/d/${d.uid}/${d.uid}`, slug: '', type: 'dash-db', tags: [], isStarred: false,
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
          meta: { type: 'db', canSave: false, slug: d.uid, url: `/d/${d.uid}/${d.uid}`, version: 3, folderUid: d.folderUid ?? '', folderTitle: d.folderTitle ?? 'General', provisioned: false },
          dashboard: { id: this.dashboards.indexOf(d) + 1, uid: d.uid, title: d.title, tags: [], timezone: 'browser', schemaVersion: 39, version: 3, panels: d.panels ?? [] },
        });
      }
      return send(404, { message: 'Not found' });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
