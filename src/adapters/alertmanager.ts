// A small fetch-based client of Alertmanager's API v2 (api/v2/openapi.yaml in
// prometheus/alertmanager), for the closed loop:
//   GET    /api/v2/alerts?filter=<matcher>&active=&silenced=&inhibited=&unprocessed=
//          -> gettableAlerts [{labels, annotations, startsAt, endsAt, updatedAt, fingerprint,
//             status: {state: active|suppressed|unprocessed, silencedBy, inhibitedBy}, receivers}]
//          (resolved alerts are not listed: the API drops alerts whose endsAt has passed)
//   GET    /api/v2/silences?filter=<matcher>   -> gettableSilences [{id, status: {state}, matchers, comment, ...}]
//   POST   /api/v2/silences  postableSilence {matchers: [{name, value, isRegex, isEqual}], startsAt,
//          endsAt, createdBy, comment} -> 200 {silenceID}
//   DELETE /api/v2/silence/{silenceID}  -> 200 (expires it)
// Filters are Alertmanager matchers (`name="value"`, value quoted with Go escapes).
// The base URL comes from ops.yaml `alertmanager.url` only (with any --web.route-prefix). Never
// the webhook payload's externalURL: a sender could point it, and the API token, anywhere
// (#12, docs/security.md). An optional bearer token (ALERTMANAGER_API_TOKEN)
// is sent for deployments behind an authenticating proxy; it never appears in errors.

export interface GettableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers?: Array<{ name: string }>;
}

export interface GettableSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface AlertmanagerClientOptions {
  /** Base URL, e.g. http://alertmanager-operated.monitoring:9093 (a route prefix included). */
  baseUrl: string;
  token?: string | undefined;
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class AlertmanagerError extends Error {
  override readonly name = 'AlertmanagerError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** `name="value"` with the value quoted as Alertmanager's matcher parser expects. */
export function equalityMatcher(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/** The configured base URL when it is http(s), cleaned of credentials, query and fragment; null otherwise. */
export function alertmanagerBaseUrl(configured: string | undefined): string | null {
  if (!configured) return null;
  try {
    const u = new URL(configured);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return null;
  }
}

export class AlertmanagerClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AlertmanagerClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  get baseUrl(): string {
    return this.base;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new AlertmanagerError(`Alertmanager ${this.base} is unreachable (${method} ${path.split('?')[0]}: ${cause})`, undefined);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new AlertmanagerError(
        `Alertmanager ${this.base} answered ${res.status} to ${method} ${path.split('?')[0]}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`,
        res.status,
      );
    }
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AlertmanagerError(`Alertmanager ${this.base} answered ${method} ${path.split('?')[0]} with something other than JSON`, res.status);
    }
  }

  /** Alerts whose labels match all `labels` (active, silenced, inhibited and unprocessed ones). */
  async alerts(labels: Record<string, string>): Promise<GettableAlert[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(labels)) q.append('filter', equalityMatcher(k, v));
    for (const k of ['active', 'silenced', 'inhibited', 'unprocessed']) q.set(k, 'true');
    const out = await this.request('GET', `/api/v2/alerts?${q.toString()}`);
    if (!Array.isArray(out)) throw new AlertmanagerError(`Alertmanager ${this.base} answered GET /api/v2/alerts with something other than a list`, 200);
    return out as GettableAlert[];
  }

  async silences(labels: Record<string, string> = {}): Promise<GettableSilence[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(labels)) q.append('filter', equalityMatcher(k, v));
    const out = await this.request('GET', `/api/v2/silences${q.size ? `?${q.toString()}` : ''}`);
    return Array.isArray(out) ? (out as GettableSilence[]) : [];
  }

  async createSilence(s: { matchers: Record<string, string>; startsAt: string; endsAt: string; createdBy: string; comment: string }): Promise<string> {
    const body = {
      matchers: Object.entries(s.matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      createdBy: s.createdBy,
      comment: s.comment,
    };
    const out = (await this.request('POST', '/api/v2/silences', body)) as { silenceID?: unknown } | null;
    if (typeof out?.silenceID !== 'string') throw new AlertmanagerError(`Alertmanager ${this.base} created a silence but returned no silenceID`, 200);
    return out.silenceID;
  }

  /** Expires a silence; one that is already expired or unknown counts as done. */
  async expireSilence(id: string): Promise<'expired' | 'already-gone'> {
    try {
      await this.request('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
      return 'expired';
    } catch (e) {
      if (e instanceof AlertmanagerError && (e.status === 404 || (e.status === 500 && /already expired/i.test(e.message)))) return 'already-gone';
      throw e;
    }
  }
}
