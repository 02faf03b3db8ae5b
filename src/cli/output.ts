// --output table|json: a table for people on a terminal, JSON for pipes and scripts (the default
// follows stdout: a TTY gets the table).
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { text } from '../domain/text.js';

export type OutputFormat = 'table' | 'json';

export function outputFormat(flag: string | undefined, io: CliIo, command: string): OutputFormat {
  if (flag === undefined) return io.isTTY ? 'table' : 'json';
  if (flag !== 'table' && flag !== 'json') throw new UsageError(`aksops ${command}: --output "${flag}" must be table or json`);
  return flag;
}

function cell(v: unknown): string {
  return text(v).replace(/\s+/g, ' ').slice(0, 80);
}

/** Fixed-width columns, header first; widths from the content (capped at 80 characters a cell). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Prints rows as a table or as one JSON document. */
export function printRows(io: CliIo, format: OutputFormat, rows: Record<string, unknown>[], columns: string[], json: unknown = rows): void {
  io.out(format === 'json' ? JSON.stringify(json, null, 2) : rows.length === 0 ? '(none)' : table(rows, columns));
}
