// The consumers of a rotated credential, as a cluster would run them: "pods" of a Deployment that
// read the credential from the Kubernetes Secret when they start (env vars from secretKeyRef are
// fixed for a container's life) and keep querying the real server in a loop. Tied to the fake
// API server's rollout simulation: when a rollout starts, new pods start (reading the Secret as it
// is then, through the real client-node); the rollout completes only once every new pod has
// queried successfully (maxUnavailable 0: readiness gates the rollout); then the old pods stop.
// Each probe opens a NEW connection with the pod's credential, so a credential that stopped
// working shows as a failed query at once (existing sessions would hide it).
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { RolloutSimulation } from '../fakes/kube-rollout.js';

export interface Pod {
  name: string;
  generation: number;
  creds: Record<string, string>;
  alive: boolean;
  ok: number;
  failed: number;
}

export type Probe = (creds: Record<string, string>) => Promise<void>;

export class AppFleet {
  readonly pods: Pod[] = [];
  readonly failures: string[] = [];
  ok = 0;
  failed = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private generation = 0;
  private seq = 0;
  private readonly core: CoreV1Api;
  private starting: Promise<void> | undefined;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly secret: string,
    private readonly keys: string[],
    private readonly probe: Probe,
    private readonly replicas = 2,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Starts `replicas` pods of a new generation, each reading the Secret now. */
  async startGeneration(): Promise<void> {
    const gen = ++this.generation;
    for (let i = 0; i < this.replicas; i++) {
      const s = await this.core.readNamespacedSecret({ name: this.secret, namespace: this.namespace });
      const creds = Object.fromEntries(this.keys.map((k) => [k, Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8')]));
      this.pods.push({ name: `${this.secret}-g${gen}-${++this.seq}`, generation: gen, creds, alive: true, ok: 0, failed: 0 });
    }
  }

  /** Wires the fleet to the rollout simulation of `deployment`. */
  attach(sim: RolloutSimulation, deployment: string): void {
    let rolloutGen = 0;
    sim.onRollout = (e) => {
      if (e.namespace !== this.namespace || e.name !== deployment) return;
      if (e.phase === 'started') {
        rolloutGen = this.generation + 1;
        this.starting = this.startGeneration();
      }
      if (e.phase === 'completed') {
        for (const p of this.pods) if (p.generation < rolloutGen) p.alive = false;
      }
    };
    sim.ready = (ns, name) => {
      if (ns !== this.namespace || name !== deployment) return true;
      const fresh = this.pods.filter((p) => p.generation === rolloutGen && p.alive);
      return fresh.length === this.replicas && fresh.every((p) => p.ok >= 2);
    };
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const live = this.pods.filter((p) => p.alive);
        for (const p of live) {
          try {
            await this.probe(p.creds);
            p.ok++;
            this.ok++;
          } catch (e) {
            p.failed++;
            this.failed++;
            this.failures.push(`${p.name}: ${(e as Error).message}`);
          }
        }
        if (live.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.starting;
  }

  alive(): Pod[] {
    return this.pods.filter((p) => p.alive);
  }
}
