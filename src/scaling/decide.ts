// The minCount decision for one node pool: from the nodes the forecast says are needed to what
// the pool's autoscaler minCount should be now. Pure; the orchestration and the pool simulation
// both call it.
//
// We only ever move the cluster autoscaler's lower bound: raising minCount above the current
// node count makes the autoscaler add nodes (ahead of demand); lowering it lets the autoscaler
// remove nodes on its own rules (10 min unneeded). We never set `count` by hand (AKS refuses
// that on an autoscaled pool anyway), and a minCount change never removes a node by itself.
//
// Rules, in order: protected pools and pools without the autoscaler are untouched; no change
// within the cooldown of the last one (>= 10 min), and lowering waits `lowerAfterMs` after the
// last change; the target is clamped to the configured bounds and the pool's maxCount; a raise
// counts from what the autoscaler already holds (raising minCount up to the current node count
// adds nothing, so it is never "spent" against the step) and adds at most `maxStepUp` nodes;
// a lowering drops at most `maxStepDown` per action (slowly: demand that fell may come back).

export type ScalingMode = 'forecast-only' | 'enforce';

export interface DecisionPolicy {
  /** Configured bounds for minCount (within the pool's own minCount/maxCount). */
  minCount: number;
  maxCount: number;
  maxStepUp: number;
  maxStepDown: number;
  /** At least 10 minutes between changes. */
  cooldownMs: number;
  /** Lower only when the last change is at least this old (>= cooldown). */
  lowerAfterMs: number;
}

export interface PoolState {
  /** The autoscaler's current bounds and the nodes it holds now. */
  minCount: number;
  maxCount: number;
  nodeCount: number;
  enableAutoScaling: boolean;
  /** AKS agent pool mode: System pools must keep at least one node. */
  poolMode: 'System' | 'User' | 'Gateway';
  /** When we last changed minCount (epoch ms), null if never. */
  lastChangeAtMs: number | null;
}

export interface DecisionInput {
  nowMs: number;
  /** Nodes the forecast's upper bound needs over the lead window; null without a usable forecast. */
  desiredNodes: number | null;
  state: PoolState;
  policy: DecisionPolicy;
  mode: ScalingMode;
  protectedPool: boolean;
}

export interface Decision {
  action: 'raise' | 'lower' | 'hold';
  fromMinCount: number;
  toMinCount: number;
  /** The target after clamping (what we would set without step limits and cooldown). */
  target: number | null;
  /** True only in enforce mode for a raise or lower. */
  apply: boolean;
  reasons: string[];
}

export const MIN_COOLDOWN_MS = 10 * 60_000;

function hold(state: PoolState, target: number | null, reasons: string[]): Decision {
  return { action: 'hold', fromMinCount: state.minCount, toMinCount: state.minCount, target, apply: false, reasons };
}

export function decideMinCount(input: DecisionInput): Decision {
  const { state, policy } = input;
  if (input.protectedPool) return hold(state, null, ['protected pool: never changed']);
  if (!state.enableAutoScaling) return hold(state, null, ['the pool has no cluster autoscaler: minCount has no effect and we never set count by hand']);
  if (input.desiredNodes === null || !Number.isFinite(input.desiredNodes)) return hold(state, null, ['no usable forecast']);

  const reasons: string[] = [];
  const floor = Math.max(policy.minCount, state.poolMode === 'System' ? 1 : 0);
  const ceiling = Math.min(policy.maxCount, state.maxCount);
  let target = Math.ceil(input.desiredNodes);
  if (target < floor) {
    reasons.push(`forecast needs ${target}, clamped up to the lower bound ${floor}`);
    target = floor;
  }
  if (target > ceiling) {
    reasons.push(`forecast needs ${target}, clamped to ${ceiling} (${ceiling === state.maxCount ? "the pool's maxCount" : 'the configured maxCount'})`);
    target = ceiling;
  }
  if (target === state.minCount) return hold(state, target, [...reasons, `minCount is already ${target}`]);

  const sinceLast = state.lastChangeAtMs === null ? Infinity : input.nowMs - state.lastChangeAtMs;
  const cooldown = Math.max(MIN_COOLDOWN_MS, policy.cooldownMs);
  if (sinceLast < cooldown) {
    return hold(state, target, [...reasons, `cooldown: last change ${Math.round(sinceLast / 60_000)} min ago (< ${cooldown / 60_000} min)`]);
  }

  let to: number;
  let action: 'raise' | 'lower';
  if (target > state.minCount) {
    // Count from the nodes already running: up to them a raise adds nothing.
    const base = Math.max(state.minCount, Math.min(state.nodeCount, target));
    to = Math.min(target, base + policy.maxStepUp);
    if (to < target) reasons.push(`step limited to +${policy.maxStepUp} node(s) over the ${base} held`);
    action = 'raise';
  } else {
    const lowerAfter = Math.max(cooldown, policy.lowerAfterMs);
    if (sinceLast < lowerAfter) {
      return hold(state, target, [...reasons, `demand fell, but lowering waits ${lowerAfter / 60_000} min after the last change`]);
    }
    to = Math.max(target, state.minCount - policy.maxStepDown);
    if (to > target) reasons.push(`lowering limited to -${policy.maxStepDown} node(s) per change`);
    action = 'lower';
  }
  if (to > ceiling) to = ceiling;
  if (to === state.minCount) return hold(state, target, reasons);
  reasons.unshift(`${action} minCount ${state.minCount} -> ${to} (forecast needs ${Math.ceil(input.desiredNodes)} node(s))`);
  if (input.mode !== 'enforce') reasons.push('forecast-only: recorded, not applied');
  return { action, fromMinCount: state.minCount, toMinCount: to, target, apply: input.mode === 'enforce', reasons };
}

/** Nodes needed for `requests` units when each node offers `allocatable` units, `headroom` (0..1) kept free. */
export function nodesNeeded(requests: number, allocatable: number, headroom: number): number | null {
  if (!Number.isFinite(requests) || !(allocatable > 0)) return null;
  const usable = allocatable * (1 - headroom);
  return Math.max(0, Math.ceil(requests / usable - 1e-9));
}
