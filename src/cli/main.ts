// `aksops`: the command-line face of the same engine the function app runs (src/ is shared).
// commander builds help, --version and usage errors (docs/decisions/0014-cli-commander.md); each
// command module keeps its `run<Name>(args, io)` and gets the raw arguments after its name.
// Options declared here come from the module's own parseArgs spec (one home for each flag), so
// help lists them and commander rejects unknown ones before the module runs.
import { Command, CommanderError, Option } from 'commander';
import { runConfigValidate, CONFIG_FLAGS } from './config-validate.js';
import { runDoctor, DOCTOR_FLAGS } from './doctor.js';
import { runRulesTest, RULES_TEST_FLAGS } from './rules-test.js';
import { runScalingBacktest, BACKTEST_FLAGS } from './scaling-backtest.js';
import { runScalingReport, SCALING_REPORT_FLAGS } from './scaling-report.js';
import { runSecretsStatus, SECRETS_STATUS_FLAGS } from './secrets-status.js';
import { runSecretsRotate, SECRETS_ROTATE_FLAGS } from './secrets-rotate.js';
import { runRunbooks, RUNBOOKS_FLAGS } from './runbooks.js';
import { runBudgetsStatus, BUDGETS_STATUS_FLAGS } from './budgets-status.js';
import { runBackupList, runBackupShow, runBackupVerify, runRestore, BACKUP_LIST_FLAGS, BACKUP_SHOW_FLAGS, RESTORE_FLAGS } from './backup.js';
import { runBackupCreate, BACKUP_CREATE_FLAGS } from './backup-create.js';
import { runAudit, AUDIT_FLAGS } from './audit.js';
import { runPause, runResume, PAUSE_FLAGS } from './pause.js';
import { runBudgetsApprove, runSecretsApprove, APPROVE_FLAGS } from './approvals.js';
import { runSloRules, runSloStatus, SLO_RULES_FLAGS, SLO_STATUS_FLAGS } from './slo.js';
import { runWindows, WINDOWS_FLAGS } from './windows.js';
import { runCompletion } from './completion.js';
import { projectInfo } from '../config/project-root.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

export type CommandRun = (args: string[], io: CliIo) => Promise<number>;
type Flags = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>>;

export interface CommandSpec {
  /** Words after `aksops`, e.g. "backup create". */
  path: string;
  /** First line of --help and of the command list. */
  summary: string;
  run: CommandRun;
  /** The module's parseArgs options: declared to commander for help and unknown-option errors. Without them every argument passes through (legacy). */
  flags?: Flags;
  /** Positional arguments, e.g. "<ID>". */
  args?: string;
  /** Extra help text after the options. */
  more?: string;
}

/** What a flag means, shared by every command that takes it. */
const FLAG_HELP: Record<string, string> = {
  config: 'operations config (default: $OPS_CONFIG_PATH, else ./ops.yaml)',
  url: 'the function app, e.g. https://<app>.azurewebsites.net (default: $AKSOPS_URL; function key from $AKSOPS_FUNCTION_KEY)',
  output: 'table or json (default: table on a terminal, json when piped)',
  wait: 'wait until it finishes, with a progress line on stderr',
  cluster: 'cluster name from the config',
  json: 'print JSON',
  'dry-run': 'plan only, change nothing',
  reason: 'why (recorded in the audit log)',
  reject: 'reject instead of approve',
  since: 'ISO time, date or duration ago (24h, 7d)',
  until: 'ISO time, date or duration ago (default now)',
  namespace: 'namespace',
  from: 'backtest: plot from this time (ISO); backup and restore: which copy to read, primary (default) or secondary',
  to: 'plot up to this time (ISO)',
  volume: 'restore a backed-up PVC into a new PVC: NAMESPACE/PVC=NEW-NAME (in the mapped namespace; never over an existing PVC)',
  plot: 'write an SVG chart (min/max per pixel)',
};

const URL_ENV = 'URL from --url or $AKSOPS_URL, function key from $AKSOPS_FUNCTION_KEY, identity from $AKSOPS_USER or $USER.';

/** Every command. To add one: a module with run<Name>(args, io) and one line here. */
export const COMMANDS: CommandSpec[] = [
  {
    path: 'config validate',
    summary: 'Check the operations config; prints every problem with its path, line and fix.',
    run: runConfigValidate,
    flags: CONFIG_FLAGS,
  },
  {
    path: 'doctor',
    summary: 'Readiness from where you run it: per cluster reachability and every declared permission (SelfSubjectAccessReview), Alertmanager, storage.',
    run: runDoctor,
    flags: DOCTOR_FLAGS,
    more: 'Uses your credentials (KUBECONFIG / az login) locally; the app runs the same checks at GET /api/doctor. Exit 1 when a check failed.',
  },
  {
    path: 'rules test',
    summary: "Decide an Alertmanager webhook payload like the app would (like 'amtool config routes test').",
    run: runRulesTest,
    flags: RULES_TEST_FLAGS,
    more: '--payload FILE|- is a saved webhook body (- reads stdin). One JSON object per alert and matched rule.',
  },
  { path: 'audit', summary: 'The audit log, filtered and paged by the app (GET /api/audit).', run: runAudit, flags: AUDIT_FLAGS, more: URL_ENV },
  { path: 'pause', summary: 'Pause all automated actions (POST /api/pause); --status shows the switch.', run: runPause, flags: PAUSE_FLAGS, more: URL_ENV },
  { path: 'resume', summary: 'Resume automated actions (POST /api/pause).', run: runResume, flags: PAUSE_FLAGS, more: URL_ENV },
  {
    path: 'scaling backtest',
    summary: 'Replay a demand series as if live: forecast quality and predictive vs reactive capacity (docs/scaling.md).',
    run: runScalingBacktest,
    flags: BACKTEST_FLAGS,
    more: "Durations like 5m, 60m, 3d. --plot writes an SVG; --from/--to narrow it; long series keep each pixel's min and max.",
  },
  {
    path: 'scaling report',
    summary: 'Per pool: mode and reasons, MASE, coverage, predictive vs reactive (GET /api/scaling/report).',
    run: runScalingReport,
    flags: SCALING_REPORT_FLAGS,
    more: URL_ENV,
  },
  {
    path: 'secrets status',
    summary: 'Every secret enrolled for rotation: version, stage, expiry, whether due (metadata only).',
    run: runSecretsStatus,
    flags: SECRETS_STATUS_FLAGS,
  },
  {
    path: 'secrets rotate',
    summary: 'Ask the app to rotate a secret now (POST /api/rotations).',
    run: runSecretsRotate,
    flags: SECRETS_ROTATE_FLAGS,
    args: '<NAME>',
    more: URL_ENV,
  },
  {
    path: 'secrets approve',
    summary: 'Approve (or --reject) a rotation waiting for approval.',
    run: runSecretsApprove,
    flags: APPROVE_FLAGS,
    args: '<INSTANCE_ID>',
    more: URL_ENV,
  },
  {
    path: 'budgets status',
    summary: 'Each budget: mode, period, stages; with --url the live state from the app.',
    run: runBudgetsStatus,
    flags: BUDGETS_STATUS_FLAGS,
  },
  {
    path: 'budgets approve',
    summary: "Approve (or --reject) a budget's stage waiting for approval.",
    run: runBudgetsApprove,
    flags: APPROVE_FLAGS,
    args: '<NAME>',
    more: URL_ENV,
  },
  ...(['list', 'run', 'status', 'approve', 'reject', 'cancel'] as const).map((v): CommandSpec => ({
    path: `runbooks ${v}`,
    summary: {
      list: 'The runbook catalogue with parameter schemas.',
      run: 'Start an on-call runbook by NAME with --param k=v; --wait follows it to the end.',
      status: "A run's phase, plan, approval and result.",
      approve: 'Approve a run waiting for approval.',
      reject: 'Reject a run waiting for approval.',
      cancel: 'Cancel a run.',
    }[v],
    run: (a, io) => runRunbooks([v, ...a], io),
    flags: RUNBOOKS_FLAGS,
    ...(v === 'list' ? {} : { args: v === 'run' ? '<NAME>' : '<ID>' }),
    more: v === 'list' ? undefined : URL_ENV,
  })),
  {
    path: 'backup list',
    summary: 'Backups in Blob Storage, newest first, one JSON line each.',
    run: (a, io) => runBackupList(a, io),
    flags: BACKUP_LIST_FLAGS,
  },
  { path: 'backup show', summary: 'The manifest of one backup.', run: (a, io) => runBackupShow(a, io), flags: BACKUP_SHOW_FLAGS, args: '<ID>' },
  {
    path: 'backup verify',
    summary: 'Re-read every blob of a backup and check its SHA-256: exit 1 on a mismatch.',
    run: (a, io) => runBackupVerify(a, io),
    flags: BACKUP_LIST_FLAGS,
    args: '<ID>',
  },
  { path: 'backup create', summary: 'An on-demand backup by the app (POST /api/backups).', run: runBackupCreate, flags: BACKUP_CREATE_FLAGS, more: URL_ENV },
  {
    path: 'slo rules',
    summary: "Recording rules and multi-window multi-burn-rate alerts for the config's SLOs (docs/slo.md).",
    run: runSloRules,
    flags: SLO_RULES_FLAGS,
    more: '--format prometheus (a rule file, default) or prometheusrule (a prometheus-operator resource); check it with promtool check rules.',
  },
  {
    path: 'slo status',
    summary: "Each SLO's error budget left, burn rates and status: from the app with --url, else read now from Prometheus.",
    run: runSloStatus,
    flags: SLO_STATUS_FLAGS,
  },
  {
    path: 'windows list',
    summary: 'Maintenance windows, freezes and business hours: which are active at --at and when each next starts (docs/windows.md).',
    run: (a, io) => runWindows(['list', ...a], io),
    flags: WINDOWS_FLAGS,
  },
  {
    path: 'windows check',
    summary: 'What the window gate answers for an automated action on --target CLUSTER[/NAMESPACE] at --at, and why.',
    run: (a, io) => runWindows(['check', ...a], io),
    flags: WINDOWS_FLAGS,
  },
  {
    path: 'completion',
    summary: 'Print a shell completion script: bash, zsh or fish.',
    run: (a, io) => runCompletion(a, io, () => buildProgram(io, [], () => undefined)),
    flags: {},
    args: '<SHELL>',
    more: 'bash: source <(aksops completion bash)   zsh: source <(aksops completion zsh)   fish: aksops completion fish > ~/.config/fish/completions/aksops.fish',
  },
  {
    path: 'restore',
    summary: 'Restore a backup into the cluster of the kubeconfig context; a server-side dry-run unless --apply.',
    run: (a, io) => runRestore(a, io),
    flags: RESTORE_FLAGS,
  },
];

function declare(cmd: Command, flags: Flags): void {
  for (const [name, f] of Object.entries(flags)) {
    const value = f.type === 'string' ? ` <${name === 'output' ? 'table|json' : 'value'}>` : '';
    const o = new Option(`${f.short ? `-${f.short}, ` : ''}--${name}${value}`, FLAG_HELP[name] ?? '');
    if (f.multiple) o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(o);
  }
}

/** Builds the program; `argv` is what the user typed (the actions pass the raw tail to the module). */
export function buildProgram(io: CliIo, argv: string[], setCode: (code: number) => void): Command {
  const program = new Command('aksops')
    .description('Day-2 operations for AKS estates: remediation, runbooks, backups, rotation, budgets, scaling.')
    .version(projectInfo().version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showSuggestionAfterError()
    .addHelpText('after', '\nExit codes: 0 ok, 1 the input is invalid or the app refused, 2 usage error.\nEvery command answers --help.');
  const groups = new Map<string, Command>();
  for (const spec of COMMANDS) {
    const words = spec.path.split(' ');
    let parent = program;
    for (let i = 0; i < words.length - 1; i++) {
      const key = words.slice(0, i + 1).join(' ');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = parent.command(words[i]!).description(`${words[i]} commands`)));
      parent = g;
    }
    const cmd = parent.command(words.at(-1)!).description(spec.summary);
    if (spec.flags) {
      declare(cmd, spec.flags);
      if (spec.args) cmd.arguments(spec.args.replace(/^</, '[').replace(/>$/, ']'));
    } else {
      cmd.argument('[args...]').allowUnknownOption().allowExcessArguments();
    }
    if (spec.more) cmd.addHelpText('after', `\n${spec.more}`);
    cmd.action(async () => setCode(await spec.run(argv.slice(words.length), io)));
  }
  return program;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, argv, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return 2; // usage: unknown command or option, missing value, no subcommand (help shown)
  }
}
