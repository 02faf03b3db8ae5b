// A deployment-controller simulation for tests that restart Deployments and wait for the rollout
// (secret rotation): the fake API server runs no controllers, so this one advances a rollout
// each time a client OBSERVES the Deployment (GET of the object), which is what a poller such as
// `kubectl rollout status` does between controller steps. Deterministic and timer-free, so replay
// tests with virtual time see the same sequence on every run.
//
//   const sim = attachRolloutSimulation(kube, { observationsToComplete: 2 });
//   sim.behave('shop', 'api', 'stuck');          // the next rollout of shop/api exceeds its deadline
//   sim.onRollout = (e) => { ... };              // 'started' | 'completed' | 'stuck' with the pods after it
//   sim.ready = (ns, name) => appIsUp;           // completion also waits for this
//   sim.rollouts                                  // what happened, in order
//
// The rollout steps themselves are kube-controllers.ts rolloutDeployment (new ReplicaSet and pods,
// old pods terminated, status counters and conditions as the deployment controller writes them).
import type { FakeKubeApiServer } from './kube-api-server.js';
import { rolloutDeployment } from './kube-controllers.js';
import { podTemplateHash } from './kube-seed.js';

export type RolloutBehaviour = 'complete' | 'stuck' | 'never';

export interface RolloutEvent {
  namespace: string;
  name: string;
  phase: 'started' | 'completed' | 'stuck';
  restartedAt: string | undefined;
  /** Pods of the Deployment (not terminating) after this step. */
  pods: string[];
}

export interface RolloutSimulation {
  behave(namespace: string, name: string, b: RolloutBehaviour): void;
  onRollout: ((e: RolloutEvent) => void) | undefined;
  ready: ((namespace: string, name: string) => boolean) | undefined;
  readonly rollouts: RolloutEvent[];
  detach(): void;
}

type Route = (method: string, path: string, query: Record<string, string>, contentType: string | undefined, raw: string) => { code: number; body: unknown };

const DEPLOYMENT = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/;

export function attachRolloutSimulation(kube: FakeKubeApiServer, opts: { observationsToComplete?: number } = {}): RolloutSimulation {
  const need = opts.observationsToComplete ?? 2;
  const server = kube as unknown as { route: Route };
  const inner = server.route.bind(kube);
  const rolledHash = new Map<string, string>();
  const progress = new Map<string, number>();
  const behaviour = new Map<string, RolloutBehaviour>();
  const key = (ns: string, n: string) => `${ns}/${n}`;
  for (const d of kube.list('deployments')) rolledHash.set(key(d.metadata.namespace!, d.metadata.name!), podTemplateHash((d.spec ?? {})['template']));

  const pods = (ns: string, name: string): string[] => {
    const d = kube.get('deployments', ns, name);
    const labels = ((d?.spec ?? {})['selector'] as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
    return kube
      .list('pods', ns)
      .filter((p) => !p.metadata.deletionTimestamp && Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v))
      .map((p) => p.metadata.name!);
  };

  const sim: RolloutSimulation = {
    rollouts: [],
    onRollout: undefined,
    ready: undefined,
    behave: (ns, n, b) => void behaviour.set(key(ns, n), b),
    detach: () => void (server.route = inner),
  };

  const emit = (ns: string, name: string, phase: RolloutEvent['phase']) => {
    const d = kube.get('deployments', ns, name);
    const tpl = ((d?.spec ?? {})['template'] ?? {}) as { metadata?: { annotations?: Record<string, string> } };
    const e: RolloutEvent = { namespace: ns, name, phase, restartedAt: tpl.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], pods: pods(ns, name) };
    sim.rollouts.push(e);
    sim.onRollout?.(e);
  };

  const observe = (ns: string, name: string) => {
    const d = kube.get('deployments', ns, name);
    if (!d) return;
    const k = key(ns, name);
    const hash = podTemplateHash((d.spec ?? {})['template']);
    if (!rolledHash.has(k)) rolledHash.set(k, hash);
    if (rolledHash.get(k) === hash) return;
    const b = behaviour.get(k) ?? 'complete';
    const n = (progress.get(k) ?? 0) + 1;
    progress.set(k, n);
    if (n === 1) {
      rolloutDeployment(kube, ns, name, 'partial');
      emit(ns, name, 'started');
      return;
    }
    if (n < need || b === 'never') return;
    if (b === 'stuck') {
      rolloutDeployment(kube, ns, name, 'stuck');
      rolledHash.set(k, hash);
      progress.delete(k);
      emit(ns, name, 'stuck');
      return;
    }
    if (sim.ready && !sim.ready(ns, name)) return;
    rolloutDeployment(kube, ns, name, 'complete');
    rolledHash.set(k, hash);
    progress.delete(k);
    emit(ns, name, 'completed');
  };

  server.route = (method, path, query, contentType, raw) => {
    const m = method === 'GET' ? DEPLOYMENT.exec(path) : null;
    if (m) observe(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    return inner(method, path, query, contentType, raw);
  };
  return sim;
}
