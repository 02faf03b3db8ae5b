// The names of the remediation's activities, declared once: functions/remediation.ts and
// functions/slo.ts register exactly these, and the orchestration (orchestrations/remediation*.ts)
// calls them through these constants. Backups, restores and retention audit through writeAudit.
export const REMEDIATION_ACTIVITY = {
  resolveTarget: 'resolveTarget',
  planRunbook: 'planRunbook',
  runRunbook: 'runRunbook',
  verifyRemediation: 'verifyRemediation',
  silence: 'silence',
  writeAudit: 'writeAudit',
  notify: 'notify',
  errorBudgetGate: 'errorBudgetGate',
  escalationPage: 'escalationPage',
} as const;
