// Restore drills (src/backup/restore.ts drill steps, orchestrations/restore.ts): what a drill is asked and reports.
import type { BackupSource, VolumeRestoreRow } from './backup-types.js';

// ---------------------------------------------------------------------------- drill

export interface DrillInput {
  drillId: string;
  cluster: string;
  namespace: string;
  scratchNamespace: string;
  timeoutSeconds: number;
  /** Restore from the secondary account (the cross-region drill); default the primary. */
  from?: BackupSource;
  requestedBy: string;
}

export interface DrillCheckInput {
  cluster: string;
  namespace: string;
  expected: string[];
}

export interface DrillCheckOutput {
  missing: string[];
  unavailable: string[];
}

export interface DrillOutput {
  drillId: string;
  backupId: string | null;
  scratchNamespace: string;
  outcome: 'passed' | 'failed';
  restored: number;
  missing: string[];
  unavailable: string[];
  /** Which copy was restored. */
  from?: BackupSource;
  /** The backup's PVC copies restored into new PVCs in the scratch namespace, each checked (SHA-256 of the copy, entry count). */
  volumes?: VolumeRestoreRow[];
  /** Seconds from the drill's start to every restored workload available (passed drills): the measured recovery time. */
  recoverySeconds?: number;
  error?: string;
}
