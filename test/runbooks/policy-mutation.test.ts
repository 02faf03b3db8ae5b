// Approval policy edges that mutation testing found unguarded (issue #19): a cluster that requires
// approval, a cluster-scoped target against namespace rules, and the joined reasons.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { RUNBOOKS } from '../../src/runbooks/catalogue.js';
import { approvalPolicy } from '../../src/runbooks/policy.js';

const example = parseConfig(readFileSync('examples/ops.yaml', 'utf8'));
const withApprovals = (clusters: string[], namespaces: string[]) => ({
  ...example,
  approvals: { ...example.approvals, requiredInClusters: clusters, requiredInNamespaces: namespaces },
});
const restart = RUNBOOKS['rollout-restart']!;
const target = { cluster: 'ms5-prod', namespace: 'shop', kind: 'Deployment' as const, name: 'api' };

// The example's escalation chain (paging.escalation), carried in every approval policy (docs/windows.md#escalation-chain).
const ESCALATION = [
  { afterSeconds: 600, receivers: ['pagerduty-oncall'] },
  { afterSeconds: 1200, receivers: ['opsgenie-platform'] },
];

describe('approval policy edges', () => {
  it('a cluster that requires approval requires it even when the rule waives it, and the plan is not waived', () => {
    expect(approvalPolicy(withApprovals(['ms5-prod'], []), restart, target, 'none')).toEqual({
      required: true,
      reason: 'cluster ms5-prod requires approval (approvals.requiredIn.clusters)',
      timeoutSeconds: example.approvals.timeoutSeconds,
      escalation: ESCALATION,
    });
  });

  it('a node (no namespace) is never caught by a namespace rule, even one listing an empty name', () => {
    const node = { cluster: 'ms5-prod', namespace: '', kind: 'Node' as const, name: 'aks-spot-1-vmss0' };
    expect(approvalPolicy(withApprovals([], ['']), RUNBOOKS['cordon-node']!, node, 'none')).toEqual({
      required: false,
      waivePlan: true,
      timeoutSeconds: example.approvals.timeoutSeconds,
      escalation: ESCALATION,
    });
  });

  it('every reason is listed, joined with "; ", in a fixed order: cluster, namespace, rule', () => {
    expect(approvalPolicy(withApprovals(['ms5-prod'], ['shop']), restart, target, 'required')?.reason).toBe(
      'cluster ms5-prod requires approval (approvals.requiredIn.clusters); namespace shop requires approval (approvals.requiredIn.namespaces); the rule requires approval',
    );
  });
});
