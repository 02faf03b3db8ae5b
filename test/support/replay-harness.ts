// Replay harness: runs an orchestrator through durable-functions' OWN executor (the code the
// Functions host drives), the way the Durable extension would: every episode replays the whole
// stored history, the new actions it yields become history events, activities and entity
// operations run and their results come back as new events, timers fire on a virtual clock.
//
// API (everything else in this file is internal):
//   const h = createReplayHarness({ orchestrator, instanceId, input, activities, entities?, events?,
//                                   startTime?, tickMs?, schemaVersion?, name? });
//   await h.run({ crashAfterStep? })  -> { status: 'completed'|'failed'|'waiting'|'crashed', output, error, customStatus, steps }
//   h.store                            the durable state: history, inbox, entity states, clock, step log,
//                                      `invocations` (activity runs by name: the side-effect counter)
//   await h.operateEntity(id, op, input)  run one entity operation now (setup: seed a guard's state)
//   h.entityState(id)                  an entity's stored state, parsed
//   await h.replay()                   replay the stored history once more: { isDone, output, newActions }
//   h.restart()                        a new harness (same code and fakes) over a JSON copy of the store:
//                                      the process restart after a crash; also `store` option = new code over old state
//   forEachCrashPoint(make, check)     crash a fresh harness after every step of a clean run, resume, check
//   when.start / when.phase(p) / when.idleIn(p) / when.completed(activity)   event triggers
//
// Steps (crash points) are every durable write, plus the one moment that is not durable:
//   'append'  one event appended to the history (the extension's commit, made per event here,
//             which is stricter than the real per-episode commit);
//   'ran'     an activity ran (its side effect happened) but its result is not durable yet:
//             crashing here makes the activity run again on resume, as Durable's at-least-once
//             delivery does;
//   'message' a result, timer firing or external event became durable in the instance's inbox;
//   'entity'  an entity operation ran: its new state and its response are written together
//             (entities are exactly-once), so crashing after it never re-runs the operation.
// `run()` keeps nothing in memory between calls: a crash stops it, and the next `run()` resumes
// from `store` alone (replaying the history), so a resumed run sees only what was durable.
//
// Virtual time: starts at `startTime`, advances `tickMs` each time a message becomes durable and
// jumps to a timer's fireAt when only timers are left. Crashes and re-runs take no virtual time,
// so a crashed-and-resumed run sees the same timestamps as a clean one.
//
// Emulated from the SDK source and the extension's message formats: TaskScheduled/TaskCompleted/
// TaskFailed (Reason/Details), TimerCreated/TimerFired, EventRaised, and entity calls as EventSent
// (Name "op", Input = RequestMessage JSON {op, id, parent, input}) answered by EventRaised named
// with the request id (Input = ResponseMessage JSON {result[, exceptionType]}). Entities run
// through the SDK's own entity executor (createEntityFunction). Not emulated (the harness throws):
// activity/sub-orchestration retries, sub-orchestrations, callHttp, locks, continueAsNew, timers
// longer than the extension's maximumShortTimerDuration (6 days), signals sent by entities.
// Cancelled timers still fire, as in Durable, if the instance is still running by then.
import { createRequire } from 'node:module';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';

// ---- Public types -------------------------------------------------------------------------

/** A history event as the extension sends it to the SDK (PascalCase fields, JSON-serialisable). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export interface ActivityCall {
  instanceId: string;
  name: string;
  /** The TaskScheduled EventId. */
  taskId: number;
  /** 1 on the first run of this scheduled task, 2 when a crash made it run again, ... */
  attempt: number;
}

/** An activity implementation: gets the JSON round-tripped input; its return value is JSON-serialised. */
export type ActivityImpl = (input: never, call: ActivityCall) => unknown;

/** An entity function (df.EntityHandler<T> of any T). */
export type EntityImpl = (context: never) => unknown;

export interface HarnessView {
  readonly history: readonly HistoryEvent[];
  readonly customStatus: unknown;
  readonly now: Date;
  /** Nothing left to do but wait: no episode due, no activity or entity work pending. */
  readonly idle: boolean;
  /** How many results (completed or failed) of this activity are in the history. */
  completed(activity: string): number;
}

export interface PlannedEvent {
  name: string;
  input?: unknown;
  /** Raised (once) at the first point where this holds while the instance runs. */
  when: (view: HarnessView) => boolean;
}

export interface HarnessOptions {
  orchestrator: OrchestrationHandler;
  instanceId: string;
  input: unknown;
  activities: Record<string, ActivityImpl>;
  /** By entity name (case-insensitive, as Durable lower-cases entity names). */
  entities?: Record<string, EntityImpl>;
  events?: PlannedEvent[];
  /** ISO time of the first episode; default 2025-01-01T00:00:00.000Z. */
  startTime?: string;
  /** Virtual ms each durable message takes; default 1000. */
  tickMs?: number;
  /** Replay schema the "extension" offers: 0 = V1 ... 3 = V4 (default, what current extensions send). */
  schemaVersion?: 0 | 1 | 2 | 3;
  /** Orchestrator function name in ExecutionStarted; default 'orchestrator'. */
  name?: string;
  /** Safety stop for runaway orchestrations; default 10000 steps. */
  maxSteps?: number;
  /** Start from this stored state (copied) instead of a new instance: resume, or replay old histories with new code. */
  store?: ReplayStore;
}

export type StepKind = 'append' | 'ran' | 'message' | 'entity';

export interface StepRecord {
  n: number;
  kind: StepKind;
  what: string;
}

export interface ReplayStore {
  history: HistoryEvent[];
  /** Durable messages not yet in the history (the next episode appends them). */
  inbox: HistoryEvent[];
  /** Entity state JSON by scheduler id ("@guard@key"); absent = entity does not exist. */
  entities: Record<string, string>;
  /** Request ids of entity signals already processed (entities de-duplicate messages). */
  signalsDone: string[];
  /** Results that reached an already finished instance and were dropped ("task:3", "req:<id>"). */
  dropped: string[];
  clockMs: number;
  raised: boolean[];
  stepCount: number;
  steps: StepRecord[];
  /** Activity runs by name, crashes included: the side-effect counter. */
  invocations: Record<string, number>;
  /** Custom status as of the last committed episode, and every distinct value it took. */
  customStatus: unknown;
  customStatusLog: unknown[];
  status: 'running' | 'completed' | 'failed';
  output?: unknown;
  error?: string;
}

export interface RunResult {
  status: 'completed' | 'failed' | 'waiting' | 'crashed';
  output?: unknown;
  error?: string;
  customStatus: unknown;
  steps: number;
}

export interface ReplayCheck {
  isDone: boolean;
  output?: unknown;
  error?: string;
  /** Actions the replay yields that the history does not have yet (none for a finished run). */
  newActions: string[];
}

/** A defect of the orchestrator or the test (non-determinism, unsupported API), not an orchestration failure. */
export class HarnessError extends Error {
  override name = 'HarnessError';
}

export const when = {
  start: (): boolean => true,
  phase:
    (phase: string) =>
    (v: HarnessView): boolean =>
      phaseOf(v.customStatus) === phase,
  /** The instance sits in `phase` with nothing else to do (typically: waiting on a timer or event). */
  idleIn:
    (phase: string) =>
    (v: HarnessView): boolean =>
      v.idle && phaseOf(v.customStatus) === phase,
  completed:
    (activity: string) =>
    (v: HarnessView): boolean =>
      v.completed(activity) > 0,
};

export function createReplayHarness(options: HarnessOptions): ReplayHarness {
  return new ReplayHarness(options);
}

/**
 * Crash-everywhere exploration: runs `make()` cleanly to count its steps, then for every step n
 * builds a fresh harness (fresh fakes), crashes it after step n, restarts it from its stored
 * state (h.restart()), runs it to the end and calls `check` with the restarted harness.
 * Returns the clean harness and the number of crash points checked.
 */
export async function forEachCrashPoint(
  make: () => ReplayHarness | Promise<ReplayHarness>,
  check: (h: ReplayHarness, result: RunResult, crashedAfter: StepRecord, clean: RunResult) => void | Promise<void>,
): Promise<{ clean: ReplayHarness; cleanResult: RunResult; points: number }> {
  const clean = await make();
  const cleanResult = await clean.run();
  const total = clean.store.stepCount;
  for (let n = 1; n < total; n++) {
    const h = await make();
    const crashed = await h.run({ crashAfterStep: n });
    const at = h.store.steps[n - 1];
    if (crashed.status !== 'crashed' || !at) throw new HarnessError(`expected a crash after step ${n}, got ${crashed.status}`);
    const cleanAt = clean.store.steps[n - 1]!;
    if (at.what !== cleanAt.what) throw new HarnessError(`run is not repeatable: step ${n} was "${cleanAt.what}", now "${at.what}"`);
    const resumed = h.restart();
    await check(resumed, await resumed.run(), at, cleanResult);
  }
  return { clean, cleanResult, points: Math.max(0, total - 1) };
}

// ---- SDK internals (no type declarations ship for testingUtils) ---------------------------

interface SdkAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: Date;
  isCanceled?: boolean;
  externalEventName?: string;
  instanceId?: string;
  operation?: string;
  compoundActions?: SdkAction[];
}

interface SdkOrchestratorState {
  isDone: boolean;
  actions: SdkAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

interface SdkEntityState {
  entityExists: boolean;
  entityState?: string;
  results: Array<{ isError: boolean; result?: string }>;
  signals: unknown[];
}

interface SdkTesting {
  createOrchestrator(fn: OrchestrationHandler): (input: unknown, context: InvocationContext) => Promise<SdkOrchestratorState>;
  createEntityFunction(fn: EntityImpl): (trigger: unknown, context: InvocationContext) => Promise<SdkEntityState>;
  DurableOrchestrationInput: new (
    instanceId: string,
    history: unknown[],
    input: unknown,
    longRunningTimerIntervalDuration?: string,
    maximumShortTimerDuration?: string,
    defaultHttpAsyncRequestSleepTimeMillseconds?: number,
    schemaVersion?: number,
    isReplaying?: boolean,
    parentInstanceId?: string,
  ) => object;
}

const sdk = createRequire(import.meta.url)('durable-functions/lib/src/util/testingUtils.js') as SdkTesting;

/** HistoryEventType numbers (lib/src/history/HistoryEventType.js). */
export const EVENT = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
} as const;

/** ActionType numbers (lib/src/actions/ActionType.js). */
const ACTION = { CallActivity: 0, CreateTimer: 5, WaitForExternalEvent: 6, CallEntity: 7, SignalEntity: 9, WhenAny: 11, WhenAll: 12 } as const;
const ACTION_NAMES: Record<number, string> = {
  1: 'callActivityWithRetry',
  2: 'callSubOrchestrator',
  3: 'callSubOrchestratorWithRetry',
  4: 'continueAsNew',
  8: 'callHttp',
  13: 'lock',
  14: 'lock release',
};
/** The extension's defaults (Azure Storage): longer timers are split, which the harness does not emulate. */
const MAX_SHORT_TIMER_MS = 6 * 24 * 3600 * 1000;
const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

class Crash extends Error {}

type Work = { kind: 'activity'; seq: number; event: HistoryEvent } | { kind: 'entity'; seq: number; event: HistoryEvent; request: EntityRequest };

interface EntityRequest {
  op: string;
  id: string;
  parent?: string;
  input?: string;
  signal?: boolean;
}

interface Execution {
  isDone: boolean;
  failed: boolean;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  leaves: SdkAction[];
}

// ---- The harness --------------------------------------------------------------------------

export class ReplayHarness {
  readonly store: ReplayStore;
  private readonly opts: Required<Omit<HarnessOptions, 'entities' | 'events' | 'store'>> & { entities: Record<string, EntityImpl>; events: PlannedEvent[] };
  private readonly options: HarnessOptions;
  private crashAt: number | undefined;
  private executions = 0;
  private clientCalls = 0;

  constructor(options: HarnessOptions) {
    this.options = options;
    this.opts = {
      startTime: '2025-01-01T00:00:00.000Z',
      tickMs: 1000,
      schemaVersion: 3,
      name: 'orchestrator',
      maxSteps: 10_000,
      ...options,
      entities: Object.fromEntries(Object.entries(options.entities ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      events: options.events ?? [],
    };
    const clockMs = Date.parse(this.opts.startTime);
    if (options.store) {
      this.store = JSON.parse(JSON.stringify(options.store)) as ReplayStore;
      return;
    }
    this.store = {
      history: [],
      // The client's start request is the first durable message.
      inbox: [ev(EVENT.ExecutionStarted, -1, clockMs, { Name: this.opts.name, Input: json(options.input) })],
      entities: {},
      signalsDone: [],
      dropped: [],
      clockMs,
      raised: this.opts.events.map(() => false),
      stepCount: 0,
      steps: [],
      invocations: {},
      customStatus: undefined,
      customStatusLog: [],
      status: 'running',
    };
  }

  /** Runs until the instance completes, fails, waits for an event that never comes, or crashes. */
  async run(opts: { crashAfterStep?: number } = {}): Promise<RunResult> {
    this.crashAt = opts.crashAfterStep;
    try {
      for (;;) {
        if (this.store.stepCount > this.opts.maxSteps) throw new HarnessError(`more than ${this.opts.maxSteps} steps`);
        const running = this.store.status === 'running';
        if (running && this.raiseDueEvent()) continue;
        if (running && this.episodeDue()) {
          await this.episode();
          continue;
        }
        const work = this.pendingWork()[0];
        if (work) {
          await (work.kind === 'activity' ? this.runActivity(work) : this.runEntity(work));
          continue;
        }
        if (running && this.fireNextTimer()) continue;
        const status = this.store.status;
        return this.result(status === 'running' ? 'waiting' : status);
      }
    } catch (e) {
      if (e instanceof Crash) return this.result('crashed');
      throw e;
    } finally {
      this.crashAt = undefined;
    }
  }

  /** A process restart: same code and fakes, in-memory state gone, the store read back from its JSON. */
  restart(): ReplayHarness {
    return new ReplayHarness({ ...this.options, store: this.store });
  }

  /** Runs one entity operation now, outside any orchestration (a client call); returns its result. */
  async operateEntity(entity: df.EntityId, operation: string, input?: unknown): Promise<unknown> {
    const schedulerId = `@${entity.name.toLowerCase()}@${entity.key}`;
    const request: EntityRequest = {
      op: operation,
      id: `client-${++this.clientCalls}-${operation}`,
      ...(input === undefined ? {} : { input: JSON.stringify(input) }),
    };
    const response = await this.executeEntity(schedulerId, request);
    if (response.exceptionType !== undefined) throw new Error(`entity ${schedulerId} ${operation} failed: ${response.result ?? ''}`);
    return response.result === undefined || response.result === null ? undefined : JSON.parse(response.result);
  }

  entityState<T>(entity: df.EntityId): T | undefined {
    const raw = this.store.entities[`@${entity.name.toLowerCase()}@${entity.key}`];
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  /** Replays the stored history once more without changing anything. */
  async replay(): Promise<ReplayCheck> {
    const x = await this.execute();
    const newActions = this.scheduleIndex(x.leaves)
      .filter((l) => !l.existing)
      .map((l) => describe(l.action));
    const r: ReplayCheck = { isDone: x.isDone, newActions };
    if (x.output !== undefined) r.output = x.output;
    if (x.error !== undefined) r.error = x.error;
    return r;
  }

  // ---- steps ----

  private step(kind: StepKind, what: string): void {
    const n = ++this.store.stepCount;
    this.store.steps.push({ n, kind, what });
    if (this.crashAt === n) throw new Crash(`crash after step ${n}`);
  }

  private append(event: HistoryEvent, what: string): void {
    this.store.history.push(event);
    this.step('append', what);
  }

  private enqueue(event: HistoryEvent, what: string): void {
    this.store.clockMs += this.opts.tickMs;
    this.store.inbox.push({ ...event, Timestamp: iso(this.store.clockMs) });
    this.step('message', what);
  }

  private result(status: RunResult['status']): RunResult {
    const r: RunResult = { status, customStatus: this.store.customStatus, steps: this.store.stepCount };
    if (this.store.output !== undefined) r.output = this.store.output;
    if (this.store.error !== undefined) r.error = this.store.error;
    return r;
  }

  // ---- episodes ----

  private episodeDue(): boolean {
    const h = this.store.history;
    const started = lastIndex(h, EVENT.OrchestratorStarted);
    // An episode cut short by a crash (started, never completed) is run again.
    return this.store.inbox.length > 0 || started > lastIndex(h, EVENT.OrchestratorCompleted);
  }

  private async episode(): Promise<void> {
    const s = this.store;
    this.append(ev(EVENT.OrchestratorStarted, -1, s.clockMs), 'OrchestratorStarted');
    while (s.inbox.length > 0) {
      const msg = s.inbox.shift()!;
      this.append(msg, describeEvent(msg));
    }
    const x = await this.execute();
    if (!x.failed) {
      for (const l of this.scheduleIndex(x.leaves)) {
        if (!l.existing) this.append(this.scheduledEvent(l.action, l.seq), `${describe(l.action)} #${l.seq}`);
      }
    }
    this.commitStatus(x.customStatus);
    // As in DTFx, the end of the execution is one of the episode's events, before OrchestratorCompleted.
    if (x.failed) {
      s.status = 'failed';
      s.error = x.error ?? 'orchestrator failed';
      this.append(
        ev(EVENT.ExecutionCompleted, -1, s.clockMs, { OrchestrationStatus: 'Failed', FailureDetails: { ErrorMessage: s.error } }),
        'ExecutionCompleted Failed',
      );
    } else if (x.isDone) {
      s.status = 'completed';
      s.output = x.output;
      this.append(ev(EVENT.ExecutionCompleted, -1, s.clockMs, { OrchestrationStatus: 'Completed', Result: json(x.output) }), 'ExecutionCompleted');
    }
    this.append(ev(EVENT.OrchestratorCompleted, -1, s.clockMs), 'OrchestratorCompleted');
  }

  private commitStatus(status: unknown): void {
    const s = this.store;
    if (JSON.stringify(status) !== JSON.stringify(s.customStatus)) s.customStatusLog.push(status);
    s.customStatus = status;
  }

  /** One orchestrator execution over the whole stored history, through the SDK's executor. */
  private async execute(): Promise<Execution> {
    const h = this.store.history;
    const lastStart = lastIndex(h, EVENT.OrchestratorStarted);
    // What the host sends: JSON, earlier episodes marked as played.
    const history = (JSON.parse(JSON.stringify(h)) as HistoryEvent[]).map((e, i) => ({ ...e, IsPlayed: i < lastStart }));
    const binding = new sdk.DurableOrchestrationInput(
      this.opts.instanceId,
      history,
      JSON.parse(json(this.opts.input) ?? 'null'),
      undefined,
      undefined,
      undefined,
      this.opts.schemaVersion,
      false,
      '',
    );
    const context = new InvocationContext({ functionName: this.opts.name, invocationId: `${this.opts.instanceId}#${++this.executions}`, logHandler: () => {} });
    try {
      const state = await sdk.createOrchestrator(this.opts.orchestrator)(binding, context);
      return { isDone: state.isDone, failed: false, output: state.output, customStatus: state.customStatus, leaves: leafActions(state.actions) };
    } catch (e) {
      // OrchestrationFailureError: the orchestrator threw; the instance fails, as in Durable.
      if (e instanceof Error && e.message.includes(OUT_OF_PROC_LABEL)) {
        // Its message prefix is not the error (the SDK passes a boolean there); the state carries it.
        const [prefix, data] = splitOnce(e.message, OUT_OF_PROC_LABEL);
        const state = JSON.parse(data) as SdkOrchestratorState;
        return { isDone: false, failed: true, error: state.error ?? prefix, customStatus: state.customStatus, leaves: [] };
      }
      throw e;
    }
  }

  /** Numbers the yielded actions as the SDK does and pairs each with its history event, checking they agree. */
  private scheduleIndex(leaves: SdkAction[]): Array<{ action: SdkAction; seq: number; existing: boolean }> {
    const scheduled = new Map<number, HistoryEvent>();
    for (const e of this.store.history) {
      if (e.EventType === EVENT.TaskScheduled || e.EventType === EVENT.TimerCreated || e.EventType === EVENT.EventSent) scheduled.set(e.EventId, e);
    }
    const out: Array<{ action: SdkAction; seq: number; existing: boolean }> = [];
    let seq = 0;
    for (const a of leaves) {
      if (a.actionType === ACTION.WaitForExternalEvent) continue; // events are matched by name, not numbered
      const unsupported = ACTION_NAMES[a.actionType];
      if (unsupported) throw new HarnessError(`the harness does not emulate ${unsupported}`);
      const n = seq++;
      const past = scheduled.get(n);
      if (past) {
        if (!matches(past, a))
          throw new HarnessError(`non-deterministic orchestrator: action #${n} is now ${describe(a)} but the history has ${describeEvent(past)}`);
        scheduled.delete(n);
      }
      out.push({ action: a, seq: n, existing: past !== undefined });
    }
    if (scheduled.size > 0 && this.store.status !== 'failed') {
      const [n, e] = [...scheduled][0]!;
      throw new HarnessError(`non-deterministic orchestrator: the history has ${describeEvent(e)} as #${n} but the replay no longer yields it`);
    }
    return out;
  }

  private scheduledEvent(a: SdkAction, seq: number): HistoryEvent {
    const at = this.store.clockMs;
    switch (a.actionType) {
      case ACTION.CallActivity:
        // The SDK leaves objects as they are and JSON-encodes strings; the extension serialises the rest.
        return ev(EVENT.TaskScheduled, seq, at, { Name: a.functionName, Input: typeof a.input === 'string' ? a.input : json(a.input) });
      case ACTION.CreateTimer: {
        const fireAt = new Date(a.fireAt as Date);
        if (fireAt.getTime() - at > MAX_SHORT_TIMER_MS) throw new HarnessError('timers longer than 6 days are split by the extension; not emulated');
        return ev(EVENT.TimerCreated, seq, at, { FireAt: fireAt.toISOString() });
      }
      case ACTION.CallEntity:
      case ACTION.SignalEntity: {
        const request: EntityRequest = { op: a.operation!, id: `${this.opts.instanceId}:req:${seq}`, parent: this.opts.instanceId };
        if (a.actionType === ACTION.SignalEntity) request.signal = true;
        if (a.input !== undefined) request.input = JSON.stringify(a.input);
        return ev(EVENT.EventSent, seq, at, { Name: 'op', InstanceId: a.instanceId, Input: JSON.stringify(request) });
      }
      default:
        throw new HarnessError(`unexpected action type ${a.actionType}`);
    }
  }

  // ---- work derived from the store alone ----

  private delivered(): { tasks: Set<number>; timers: Set<number>; responses: Set<string> } {
    const tasks = new Set<number>();
    const timers = new Set<number>();
    const responses = new Set<string>();
    for (const e of [...this.store.history, ...this.store.inbox]) {
      if (e.EventType === EVENT.TaskCompleted || e.EventType === EVENT.TaskFailed) tasks.add(e['TaskScheduledId'] as number);
      if (e.EventType === EVENT.TimerFired) timers.add(e['TimerId'] as number);
      if (e.EventType === EVENT.EventRaised) responses.add(e['Name'] as string);
    }
    for (const d of this.store.dropped) {
      if (d.startsWith('task:')) tasks.add(Number(d.slice(5)));
      else responses.add(d.slice(4));
    }
    return { tasks, timers, responses };
  }

  private pendingWork(): Work[] {
    const done = this.delivered();
    const work: Work[] = [];
    for (const e of this.store.history) {
      if (e.EventType === EVENT.TaskScheduled && !done.tasks.has(e.EventId)) work.push({ kind: 'activity', seq: e.EventId, event: e });
      if (e.EventType === EVENT.EventSent) {
        const request = JSON.parse(e['Input'] as string) as EntityRequest;
        const finished = request.signal ? this.store.signalsDone.includes(request.id) : done.responses.has(request.id);
        if (!finished) work.push({ kind: 'entity', seq: e.EventId, event: e, request });
      }
    }
    return work.sort((a, b) => a.seq - b.seq);
  }

  private async runActivity(w: Extract<Work, { kind: 'activity' }>): Promise<void> {
    const name = w.event['Name'] as string;
    const impl = this.opts.activities[name];
    if (!impl) throw new HarnessError(`no implementation for activity ${name}`);
    const s = this.store;
    s.invocations[name] = (s.invocations[name] ?? 0) + 1;
    const attempt = s.steps.filter((x) => x.kind === 'ran' && x.what === `ran ${name} #${w.seq}`).length + 1;
    const raw = w.event['Input'];
    const input = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : undefined;
    let completion: HistoryEvent;
    try {
      const value = await (impl as (i: unknown, c: ActivityCall) => unknown)(input, { instanceId: this.opts.instanceId, name, taskId: w.seq, attempt });
      completion = ev(EVENT.TaskCompleted, -1, s.clockMs, { TaskScheduledId: w.seq, Result: JSON.stringify(value ?? null) });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      completion = ev(EVENT.TaskFailed, -1, s.clockMs, {
        TaskScheduledId: w.seq,
        Reason: `Activity function '${name}' failed: ${err.message}`,
        Details: JSON.stringify({ name: err.name, message: err.message }),
      });
    }
    this.step('ran', `ran ${name} #${w.seq}`);
    if (s.status !== 'running') {
      s.dropped.push(`task:${w.seq}`); // the instance finished: Durable drops the result
      this.step('message', `dropped result of ${name} #${w.seq}`);
      return;
    }
    this.enqueue(completion, `${describeEvent(completion)} ${name} #${w.seq}`);
  }

  private async runEntity(w: Extract<Work, { kind: 'entity' }>): Promise<void> {
    const s = this.store;
    const target = w.event['InstanceId'] as string;
    const response = await this.executeEntity(target, w.request);
    const what = `entity ${target} ${w.request.op} #${w.seq}`;
    // State, de-duplication record and response are one atomic write.
    if (w.request.signal) s.signalsDone.push(w.request.id);
    else if (s.status !== 'running') s.dropped.push(`req:${w.request.id}`);
    else {
      s.clockMs += this.opts.tickMs;
      s.inbox.push(ev(EVENT.EventRaised, -1, s.clockMs, { Name: w.request.id, Input: JSON.stringify(response) }));
    }
    this.step('entity', what);
  }

  /** Runs one operation through the SDK's entity executor and stores the new state. */
  private async executeEntity(schedulerId: string, request: EntityRequest): Promise<{ result?: string | null; exceptionType?: string }> {
    const at = schedulerId.indexOf('@', 1);
    const name = schedulerId.slice(1, at);
    const key = schedulerId.slice(at + 1);
    const impl = this.opts.entities[name];
    if (!impl) throw new HarnessError(`no entity function ${name}`);
    const stored = this.store.entities[schedulerId];
    const trigger = {
      self: new df.EntityId(name, key),
      exists: stored !== undefined,
      state: stored,
      batch: [{ id: request.id, name: request.op, signal: request.signal ?? false, input: request.input, parent: request.parent }],
    };
    const context = new InvocationContext({ functionName: name, invocationId: `${schedulerId}#${request.id}`, logHandler: () => {} });
    const out = await sdk.createEntityFunction(impl)(trigger, context);
    if (out.signals.length > 0) throw new HarnessError('signals sent by entities are not emulated');
    if (out.entityExists && out.entityState !== undefined) this.store.entities[schedulerId] = out.entityState;
    else delete this.store.entities[schedulerId];
    const r = out.results[0];
    // The extension passes the SDK's OperationResult on as a ResponseMessage.
    return r?.isError ? { result: r.result ?? null, exceptionType: 'Error' } : { result: r?.result ?? null };
  }

  private fireNextTimer(): boolean {
    const done = this.delivered();
    const timers = this.store.history
      .filter((e) => e.EventType === EVENT.TimerCreated && !done.timers.has(e.EventId))
      .sort((a, b) => Date.parse(a['FireAt'] as string) - Date.parse(b['FireAt'] as string) || a.EventId - b.EventId);
    const t = timers[0];
    if (!t) return false;
    const fireAt = Date.parse(t['FireAt'] as string);
    const s = this.store;
    s.clockMs = Math.max(s.clockMs, fireAt);
    s.inbox.push(ev(EVENT.TimerFired, -1, s.clockMs, { TimerId: t.EventId, FireAt: t['FireAt'] }));
    this.step('message', `TimerFired #${t.EventId}`);
    return true;
  }

  private raiseDueEvent(): boolean {
    const s = this.store;
    const view = this.view();
    const i = this.opts.events.findIndex((e, k) => !s.raised[k] && e.when(view));
    if (i < 0) return false;
    const planned = this.opts.events[i]!;
    s.raised[i] = true;
    const fields: Record<string, unknown> = { Name: planned.name };
    if (planned.input !== undefined) fields['Input'] = JSON.stringify(planned.input);
    this.enqueue(ev(EVENT.EventRaised, -1, s.clockMs, fields), `EventRaised ${planned.name}`);
    return true;
  }

  private view(): HarnessView {
    const s = this.store;
    const history = s.history;
    const names = new Map(history.filter((e) => e.EventType === EVENT.TaskScheduled).map((e) => [e.EventId, e['Name'] as string]));
    return {
      history,
      customStatus: s.customStatus,
      now: new Date(s.clockMs),
      idle: !this.episodeDue() && this.pendingWork().length === 0,
      completed: (activity) =>
        history.filter(
          (e) => (e.EventType === EVENT.TaskCompleted || e.EventType === EVENT.TaskFailed) && names.get(e['TaskScheduledId'] as number) === activity,
        ).length,
    };
  }
}

// ---- helpers ----

function ev(type: number, id: number, atMs: number, fields: Record<string, unknown> = {}): HistoryEvent {
  return { EventType: type, EventId: id, IsPlayed: false, Timestamp: iso(atMs), ...fields };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function json(v: unknown): string | undefined {
  return v === undefined ? undefined : JSON.stringify(v);
}

function lastIndex(h: readonly HistoryEvent[], type: number): number {
  for (let i = h.length - 1; i >= 0; i--) if (h[i]!.EventType === type) return i;
  return -1;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return [s.slice(0, i), s.slice(i + sep.length)];
}

function phaseOf(status: unknown): unknown {
  return typeof status === 'object' && status !== null ? (status as { phase?: unknown }).phase : undefined;
}

/**
 * Leaf actions in the order the SDK numbered them. `actions` is cumulative (from the start) and
 * nested for replay schema V2+ (flattened per yield for V1); an action object yielded again inside
 * a new Task.any/all is the same object and is numbered once.
 */
function leafActions(actions: SdkAction[][]): SdkAction[] {
  const seen = new Set<SdkAction>();
  const out: SdkAction[] = [];
  const visit = (a: SdkAction): void => {
    if (a.actionType === ACTION.WhenAny || a.actionType === ACTION.WhenAll) {
      for (const c of a.compoundActions ?? []) visit(c);
    } else if (!seen.has(a)) {
      seen.add(a);
      out.push(a);
    }
  };
  for (const list of actions) for (const a of list) visit(a);
  return out;
}

function matches(e: HistoryEvent, a: SdkAction): boolean {
  switch (a.actionType) {
    case ACTION.CallActivity:
      return e.EventType === EVENT.TaskScheduled && e['Name'] === a.functionName;
    case ACTION.CreateTimer:
      return e.EventType === EVENT.TimerCreated;
    case ACTION.CallEntity:
    case ACTION.SignalEntity: {
      if (e.EventType !== EVENT.EventSent || e['InstanceId'] !== a.instanceId) return false;
      const r = JSON.parse(e['Input'] as string) as EntityRequest;
      return r.op === a.operation && Boolean(r.signal) === (a.actionType === ACTION.SignalEntity);
    }
    default:
      return false;
  }
}

function describe(a: SdkAction): string {
  switch (a.actionType) {
    case ACTION.CallActivity:
      return `callActivity ${a.functionName}`;
    case ACTION.CreateTimer:
      return `createTimer ${new Date(a.fireAt as Date).toISOString()}`;
    case ACTION.CallEntity:
      return `callEntity ${a.instanceId} ${a.operation}`;
    case ACTION.SignalEntity:
      return `signalEntity ${a.instanceId} ${a.operation}`;
    default:
      return `action type ${a.actionType}`;
  }
}

function describeEvent(e: HistoryEvent): string {
  const names: Record<number, string> = {
    0: 'ExecutionStarted',
    1: 'ExecutionCompleted',
    4: 'TaskScheduled',
    5: 'TaskCompleted',
    6: 'TaskFailed',
    10: 'TimerCreated',
    11: 'TimerFired',
    12: 'OrchestratorStarted',
    13: 'OrchestratorCompleted',
    14: 'EventSent',
    15: 'EventRaised',
  };
  const label = names[e.EventType] ?? `event ${e.EventType}`;
  if (e.EventType === EVENT.TaskScheduled) return `${label} ${String(e['Name'])}`;
  if (e.EventType === EVENT.EventRaised) return `${label} ${String(e['Name'])}`;
  if (e.EventType === EVENT.EventSent) return `${label} ${String(e['InstanceId'])}`;
  return label;
}
