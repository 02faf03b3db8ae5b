// Runbook notify-only: tell the notification targets and change nothing in the cluster (no
// guard, no action, no verification: its catalogue entry says acts: false).
import { RUNBOOKS } from './catalogue.js';
import { planFor, type RunbookModule } from './module.js';

export const notifyOnly: RunbookModule = {
  async plan(_ctx, { target, params }) {
    return planFor('notify-only', target, RUNBOOKS['notify-only']!.describe(params), ['tell the notification targets; change nothing']);
  },
  async run(_ctx, { target, dryRun }) {
    return { runbook: 'notify-only', dryRun, action: 'notified on-call', actedOn: target, outcome: 'done' };
  },
};
