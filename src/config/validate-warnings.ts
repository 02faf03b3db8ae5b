// Problems a valid config can still have that weaken safety: `aksops config validate` prints
// them (exit 0) so they are seen before deploying. Each names the field and the fix.
import type { CompiledConfig } from './load.js';

export function configProblems(config: CompiledConfig): string[] {
  const out: string[] = [];
  if (!config.alertmanager.url) {
    out.push(
      "alertmanager.url is not set: closed-loop verification and silences are off (verification says 'unknown'). The payload's externalURL is never called: it comes from the sender, not from you. Fix: set alertmanager.url, e.g. http://alertmanager-operated.monitoring:9093",
    );
  }
  return out;
}
