// A strict fake of the Durable Functions extension's HTTP API, the one durable-functions 3.x's
// DurableClient calls when the host gives it an rpcBaseUrl (…/durabletask/):
//   POST orchestrators/{name}/{instanceId}      start (202 with management links)
//   GET  instances/{instanceId}                  status (200) or 404 when unknown
//   POST instances/{instanceId}/raiseEvent/{ev}  202, 410 when the instance has finished, 404 unknown
//   GET  entities/{name}/{key}                   entity state (200) or 404 when the entity does not exist
//   DELETE instances/?createdTimeFrom=&createdTimeTo=&runtimeStatus=a,b   purge history by filter:
//        200 {"instancesDeleted": n}, 404 when nothing matched, 400 without createdTimeFrom (the
//        extension requires it: Azure/azure-functions-durable-python#560; "Purge multiple instance
//        histories" in the Durable Functions HTTP API reference)
// Semantics follow the extension's defaults: starting an ID that is Pending/Running fails,
// starting one that Completed/Failed/Terminated OVERWRITES it (overridableExistingInstanceStates
// = NonRunningStates). The exact failure status for a running duplicate is not documented; we
// answer 500 with the extension's message, and the app must not depend on the code.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Suspended';

export interface FakeInstance {
  name: string;
  instanceId: string;
  input: unknown;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  output: unknown;
  customStatus: unknown;
  events: { name: string; data: unknown }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

export class FakeDurableExtension {
  readonly instances = new Map<string, FakeInstance>();
  readonly requests: RecordedRequest[] = [];
  /** Every accepted start, including overwrites: the count of orchestrations really started. */
  readonly starts: { name: string; instanceId: string; input: unknown }[] = [];
  private failures: { status: number; match: RegExp }[] = [];
  private server?: Server;
  rpcBaseUrl = '';
  /** Called after an accepted start; a test can drive the orchestration from here. */
  onStart?: (i: FakeInstance) => void;
  /** Entity states by "name/key" (GET entities/{name}/{key}: 200 with the state, 404 when absent). */
  readonly entities = new Map<string, unknown>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.rpcBaseUrl = `http://127.0.0.1:${port}/durabletask/`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next request whose "METHOD path" matches answers `status` (e.g. 503: storage outage). */
  failNext(status: number, match: RegExp = /.*/): void {
    this.failures.push({ status, match });
  }

  setStatus(instanceId: string, status: RuntimeStatus): void {
    const i = this.instances.get(instanceId);
    if (!i) throw new Error(`no instance ${instanceId}`);
    i.runtimeStatus = status;
    i.lastUpdatedTime = new Date().toISOString();
  }

  /** The binding data the host hands a function with a durableClient input. */
  clientData(): Record<string, unknown> {
    const base = this.rpcBaseUrl.replace(/durabletask\/$/, 'runtime/webhooks/durabletask');
    return {
      taskHubName: 'testhub',
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=x`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=x`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${base}/instances/INSTANCEID?taskHub=testhub&connection=Storage&code=x`,
        sendEventPostUri: `${base}/instances/INSTANCEID/raiseEvent/{eventName}?taskHub=testhub&connection=Storage&code=x`,
        terminatePostUri: `${base}/instances/INSTANCEID/terminate?reason={text}&taskHub=testhub&connection=Storage&code=x`,
        rewindPostUri: `${base}/instances/INSTANCEID/rewind?reason={text}&taskHub=testhub&connection=Storage&code=x`,
        purgeHistoryDeleteUri: `${base}/instances/INSTANCEID?taskHub=testhub&connection=Storage&code=x`,
        restartPostUri: `${base}/instances/INSTANCEID/restart?taskHub=testhub&connection=Storage&code=x`,
        suspendPostUri: `${base}/instances/INSTANCEID/suspend?reason={text}&taskHub=testhub&connection=Storage&code=x`,
        resumePostUri: `${base}/instances/INSTANCEID/resume?reason={text}&taskHub=testhub&connection=Storage&code=x`,
      },
      baseUrl: base,
      requiredQueryStringParameters: 'code=x',
      rpcBaseUrl: this.rpcBaseUrl,
      httpBaseUrl: '',
      maxGrpcMessageSizeInBytes: 0,
      grpcHttpClientTimeout: '00:01:40',
    };
  }

  /** An InvocationContext carrying the durableClient binding, as the host builds it; and the real client from it. */
  invocation(functionName = 'test'): { context: InvocationContext; client: df.DurableClient } {
    const clientInput = df.input.durableClient();
    // Default import: plain Node ESM (npm run bench) cannot name this CommonJS export.
    const context = new functions.InvocationContext({
      functionName,
      options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [clientInput], extraOutputs: [] },
    });
    context.extraInputs.set(clientInput, this.clientData());
    return { context, client: df.getClient(context) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    this.requests.push({ method: req.method ?? '', path, body });
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const failure = this.failures.findIndex((f) => f.match.test(`${req.method} ${path}`));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return send(f!.status, { Message: 'injected failure' });
    }
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = /^\/durabletask\/orchestrators\/([^/]+)\/([^/]+)$/.exec(path))) {
      const [, name, rawId] = m;
      const instanceId = decodeURIComponent(rawId!);
      const existing = this.instances.get(instanceId);
      if (existing && (existing.runtimeStatus === 'Pending' || existing.runtimeStatus === 'Running' || existing.runtimeStatus === 'Suspended')) {
        return send(500, { Message: `An Orchestration instance with the status ${existing.runtimeStatus} already exists.` });
      }
      const now = new Date().toISOString();
      const input = body === '' ? null : (JSON.parse(body) as unknown);
      const inst: FakeInstance = {
        name: name!,
        instanceId,
        input,
        runtimeStatus: 'Running',
        createdTime: now,
        lastUpdatedTime: now,
        output: null,
        customStatus: null,
        events: [],
      };
      this.instances.set(instanceId, inst);
      this.starts.push({ name: name!, instanceId, input });
      this.onStart?.(inst);
      return send(202, { id: instanceId, statusQueryGetUri: `${this.rpcBaseUrl}instances/${instanceId}` });
    }
    if (req.method === 'GET' && path === '/durabletask/instances/') {
      // Query by status/created time, 50 per page with x-ms-continuation-token (the extension's paging).
      const statuses = url.searchParams.get('runtimeStatus')?.split(',');
      const from = url.searchParams.get('createdTimeFrom');
      const all = [...this.instances.values()].filter((i) => (!statuses || statuses.includes(i.runtimeStatus)) && (!from || i.createdTime >= from));
      const offset = Number(req.headers['x-ms-continuation-token'] ?? 0);
      const page = all
        .slice(offset, offset + 50)
        .map(({ events: _e, ...status }) => (url.searchParams.get('showInput') === 'false' ? { ...status, input: null } : status));
      res.writeHead(200, { 'Content-Type': 'application/json', ...(offset + 50 < all.length ? { 'x-ms-continuation-token': String(offset + 50) } : {}) });
      return void res.end(JSON.stringify(page));
    }
    if (req.method === 'DELETE' && path === '/durabletask/instances/') {
      const from = url.searchParams.get('createdTimeFrom');
      if (!from) return send(400, { Message: "Please specify at least 'createdTimeFrom'." });
      const to = url.searchParams.get('createdTimeTo');
      const statuses = url.searchParams.get('runtimeStatus')?.split(',');
      const t = (iso: string) => new Date(iso).getTime();
      const doomed = [...this.instances.values()].filter(
        (i) => t(i.createdTime) >= t(from) && (!to || t(i.createdTime) <= t(to)) && (!statuses || statuses.includes(i.runtimeStatus)),
      );
      for (const i of doomed) this.instances.delete(i.instanceId);
      return doomed.length === 0 ? send(404) : send(200, { instancesDeleted: doomed.length });
    }
    if (req.method === 'GET' && (m = /^\/durabletask\/instances\/([^/]+)$/.exec(path))) {
      const inst = this.instances.get(decodeURIComponent(m[1]!));
      if (!inst) return send(404);
      const { events: _events, ...status } = inst;
      return send(200, status);
    }
    if (req.method === 'POST' && (m = /^\/durabletask\/instances\/([^/]+)\/raiseEvent\/([^/]+)$/.exec(path))) {
      const inst = this.instances.get(decodeURIComponent(m[1]!));
      if (!inst) return send(404);
      if (inst.runtimeStatus === 'Completed' || inst.runtimeStatus === 'Failed' || inst.runtimeStatus === 'Terminated') return send(410);
      inst.events.push({ name: decodeURIComponent(m[2]!), data: body === '' ? null : (JSON.parse(body) as unknown) });
      return send(202);
    }
    if (req.method === 'GET' && (m = /^\/durabletask\/entities\/([^/]+)\/([^/]+)$/.exec(path))) {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      return this.entities.has(key) ? send(200, this.entities.get(key)) : send(404);
    }
    return send(404, { Message: `fake durable extension: no route for ${req.method} ${path}` });
  }
}
