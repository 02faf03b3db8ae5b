// `aksops`: the command-line face of the same engine the function app runs (src/ is shared).
// Each command module exports run(args, io) and returns an exit code; this file only routes.
import { runConfigValidate } from './config-validate.js';
import { runRulesTest } from './rules-test.js';
import { runScalingBacktest } from './scaling-backtest.js';
import { runSecretsStatus } from './secrets-status.js';
import { runSecretsRotate } from './secrets-rotate.js';
import { runRunbooks } from './runbooks.js';
import { runBudgetsStatus } from './budgets-status.js';
import { runBackupList, runBackupShow, runBackupVerify, runRestore } from './backup.js';
import { runSloRules, runSloStatus } from './slo.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

const USAGE = `aksops: day-2 operations for AKS estates

Usage:
  aksops config validate [--config FILE]
      Check the operations config; prints every problem with its path, line and fix.
  aksops rules test --config FILE --payload FILE|-
      Decide an Alertmanager webhook payload like the function app would (like
      'amtool config routes test'): one JSON object per alert and matched rule.
  aksops scaling backtest --csv FILE [--time-column C] [--value-column C] [--step 5m]
                          [--horizon 60m] [--lead 15m] [--node-capacity N] [--coverage 0.95]
                          [--warmup 3d] [--out FILE.csv] [--plot FILE.svg]
      Replay a demand series as if live: forecast quality (MASE, WAPE, coverage) and a
      simulated pool, predictive vs reactive autoscaler, as JSON (docs/scaling.md).
  aksops secrets status [--config FILE] [--vault URI]
      Every secret enrolled for rotation: current version, stage, expiry and whether it is
      due, one JSON object per secret (metadata only; docs/rotation.md).
  aksops secrets rotate NAME --url URL [--dry-run]
      Ask the function app to rotate NAME now (POST /api/rotations; URL from --url or $AKSOPS_URL,
      function key from $AKSOPS_FUNCTION_KEY). Prints the decision and the rotation's instance ID.

  aksops budgets status [--config FILE] [--budget NAME] [--url URL] [--at ISO]
      Each budget: mode, period, stages; with --url (or $AKSOPS_URL) the live state from the app:
      last evaluation, stages fired, changes in effect with their previous values (docs/budgets.md).

  aksops slo rules [--config FILE] [--format prometheus|prometheusrule] [--out FILE]
      Recording rules and multi-window multi-burn-rate alerts for the config's SLOs (docs/slo.md).
  aksops slo status [--config FILE] [--url URL] [--at ISO]
      Each SLO's error budget left, burn rates and status (from the app with --url, else Prometheus).

  aksops runbooks list [--json]
      The runbook catalogue with parameter schemas.
  aksops runbooks run NAME --param k=v ... [--dry-run] [--cluster C] [--idempotency-key K] [--url URL]
  aksops runbooks status|approve|reject|cancel ID [--comment TEXT] [--reason TEXT] [--url URL]
      On-call runbooks over HTTP (docs/runbooks/README.md). URL from --url or $AKSOPS_URL, function
      key from $AKSOPS_FUNCTION_KEY, identity from $AKSOPS_USER or $USER.

  aksops backup list [--cluster C] [--from primary|secondary]
  aksops backup show ID [--cluster C] [--items] [--from primary|secondary]
  aksops backup verify ID [--cluster C] [--from primary|secondary]
      Backups in Blob Storage (docs/backups.md): one JSON line per backup, newest first; the
      manifest; re-read every blob and check its SHA-256 (and Secrets' GCM tags): exit 1 on a mismatch.
  aksops restore --backup ID [--cluster C] [--source-cluster C] [--namespace NS]... [--kind K]...
                 [--map FROM=TO]... [--database DUMP=TARGETDB]... [--conflict skip|update]
                 [--from-snapshots] [--dashboard UID|'*']... [--secret NAME|'*']... [--apply]
                 [--from primary|secondary]
      Restore from a complete backup into the cluster of the kubeconfig context; a server-side
      dry-run (dryRun=All) unless --apply. --from secondary reads the copy in the paired region
      (BACKUP_SECONDARY_BLOB_SERVICE_URI), e.g. when the primary region is down.

Options:
  --config FILE   operations config (default: $OPS_CONFIG_PATH, else ./ops.yaml)
  -h, --help      this help

Exit codes: 0 ok, 1 the input is invalid, 2 usage error.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  ...Object.fromEntries(['list', 'run', 'status', 'approve', 'reject', 'cancel'].map((v): [string, Command] => [`runbooks ${v}`, (a, io) => runRunbooks([v, ...a], io)])),
  'secrets status': (a, io) => runSecretsStatus(a, io),
  'secrets rotate': (a, io) => runSecretsRotate(a, io),
  'config validate': runConfigValidate,
  'rules test': runRulesTest,
  'scaling backtest': runScalingBacktest,
  'budgets status': runBudgetsStatus,
  'slo rules': runSloRules,
  'slo status': runSloStatus,
  'backup list': (a, io) => runBackupList(a, io),
  'backup show': (a, io) => runBackupShow(a, io),
  'backup verify': (a, io) => runBackupVerify(a, io),
};

/** Commands of one word (their flags follow directly). */
const SINGLE: Record<string, Command> = {
  restore: (a, io) => runRestore(a, io),
};

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const single = SINGLE[argv[0]!];
  if (single) return single(argv.slice(1), io);
  const key = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const command = COMMANDS[key];
  if (!command) {
    io.err(`aksops: unknown command "${argv.slice(0, 2).join(' ')}". Commands: ${[...Object.keys(COMMANDS), ...Object.keys(SINGLE)].join(', ')}. See aksops --help`);
    return 2;
  }
  return command(argv.slice(2), io);
}
