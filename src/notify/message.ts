// What a notification says, independent of the channel: built from the orchestration's
// NotifyInput and the app's public base URL. Pure. Every text passes through redactSecrets
// (the orchestration already redacts errors; this is the last line, not the plan), and no
// webhook URL, token or key is ever an input here.
import { redactSecrets } from '../domain/redact.js';
import type { NotifyInput } from '../domain/types.js';

export interface NotificationMessage {
  title: string;
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  facts: Array<{ name: string; value: string }>;
  /** The plan's steps (approval requests, results). */
  steps: string[];
  links: Array<{ title: string; url: string }>;
  /** Plain-text fallback with everything above. */
  text: string;
}

const TITLES: Record<NotifyInput['kind'], string> = {
  'approval-request': 'Approval needed',
  escalation: 'Escalation',
  result: 'Remediation',
};

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const clean = (s: string, n = 1000) => clip(redactSecrets(s), n);

/** Links to the run: status, and for approval requests the approve/reject pages (GET shows a confirmation page; nothing changes on GET). */
export function runLinks(baseUrl: string | undefined, instanceId: string, kind: NotifyInput['kind']): NotificationMessage['links'] {
  if (!baseUrl) return [];
  const run = `${baseUrl}/api/runbooks/runs/${encodeURIComponent(instanceId)}`;
  const links = [{ title: 'Run status', url: run }];
  if (kind === 'approval-request') links.unshift({ title: 'Approve', url: `${run}/approve` }, { title: 'Reject', url: `${run}/reject` });
  return links;
}

export function buildMessage(n: NotifyInput, baseUrl: string | undefined): NotificationMessage {
  const severity = n.severity ?? (n.kind === 'escalation' ? 'critical' : n.kind === 'approval-request' ? 'warning' : 'info');
  const what = n.kind === 'result' ? `${n.runbook}: ${n.reason}` : n.kind === 'escalation' ? `${n.runbook}: ${n.reason.replace(/-/g, ' ')}` : n.runbook;
  const title = clean(`${TITLES[n.kind]}${n.dryRun ? ' (dry-run)' : ''}: ${what} on ${n.target}`, 200);
  const facts = [
    { name: 'Target', value: n.target },
    { name: 'Runbook', value: n.runbook },
    { name: 'Rule', value: n.rule },
    ...(n.alertname ? [{ name: 'Alert', value: n.alertname }] : []),
    { name: 'Run', value: n.instanceId },
    ...(n.deadline ? [{ name: 'Decide before', value: n.deadline }] : []),
    ...(n.dryRun ? [{ name: 'Dry-run', value: 'yes: nothing was changed' }] : []),
  ].map((f) => ({ name: f.name, value: clean(f.value, 300) }));
  const steps = (n.plan?.steps ?? []).slice(0, 20).map((s) => clean(s, 300));
  const summary = clean(n.plan && n.kind === 'approval-request' ? `${n.plan.summary}. ${n.detail}` : n.detail, 1500);
  const links = runLinks(baseUrl, n.instanceId, n.kind);
  const cli = n.kind === 'approval-request' ? `aksops runbooks approve ${n.instanceId} (or reject)` : `aksops runbooks status ${n.instanceId}`;
  const text = [
    title,
    summary,
    ...facts.map((f) => `${f.name}: ${f.value}`),
    ...(steps.length ? ['Plan:', ...steps.map((s) => `- ${s}`)] : []),
    ...links.map((l) => `${l.title}: ${l.url}`),
    `CLI: ${cli}`,
  ].join('\n');
  return { title, severity, summary, facts, steps, links, text };
}
