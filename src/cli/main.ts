// `aksops`: the command-line face of the same engine the function app runs (src/ is shared).
// Each command module exports run(args, io) and returns an exit code; this file only routes.
import { runConfigValidate } from './config-validate.js';
import { runRulesTest } from './rules-test.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

const USAGE = `aksops: day-2 operations for AKS estates

Usage:
  aksops config validate [--config FILE]
      Check the operations config; prints every problem with its path, line and fix.
  aksops rules test --config FILE --payload FILE|-
      Decide an Alertmanager webhook payload like the function app would (like
      'amtool config routes test'): one JSON object per alert and matched rule.

Options:
  --config FILE   operations config (default: $OPS_CONFIG_PATH, else ./ops.yaml)
  -h, --help      this help

Exit codes: 0 ok, 1 the input is invalid, 2 usage error.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  'config validate': runConfigValidate,
  'rules test': runRulesTest,
};

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const key = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const command = COMMANDS[key];
  if (!command) {
    io.err(`aksops: unknown command "${argv.slice(0, 2).join(' ')}". Commands: ${Object.keys(COMMANDS).join(', ')}. See aksops --help`);
    return 2;
  }
  return command(argv.slice(2), io);
}
