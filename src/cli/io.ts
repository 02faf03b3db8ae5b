// What a CLI command may touch: output streams, environment, stdin. Tests pass their own.
import { readFileSync } from 'node:fs';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  readStdin(): string;
  cwd: string;
  /** stdout is a terminal (the default --output is then a table). */
  isTTY?: boolean;
}

export function processIo(): CliIo {
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    readStdin: () => readFileSync(0, 'utf8'),
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
  };
}
