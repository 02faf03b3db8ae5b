// What every orchestrator shares: the generator type durable-functions drives, and how an
// activity's error becomes text for outputs, audit rows and custom status (first line,
// redacted, bounded). Deterministic: no I/O.
import type { Task } from 'durable-functions';
import { redactSecrets } from '../src/domain/redact.js';

/** An orchestrator (or a step of one): yields Durable tasks, returns T. */
export type Gen<T> = Generator<Task, T, unknown>;

/** The prefix the Durable SDK puts before an activity's own message. */
const ACTIVITY_PREFIX = /^Activity function '\w+' failed: /;

/**
 * First line of an error, redacted and clipped to `max` characters: activity errors can carry
 * server bodies and credentials (activities scrub values already; this is the second line of
 * defence). `stripActivityPrefix` drops the SDK's "Activity function 'x' failed: ".
 */
export function errorText(e: unknown, opts: { max?: number; stripActivityPrefix?: boolean } = {}): string {
  const text = e instanceof Error ? e.message : String(e);
  let line = redactSecrets(text.split('\n')[0]!.trim());
  if (opts.stripActivityPrefix) line = line.replace(ACTIVITY_PREFIX, '');
  return clip(line, opts.max ?? 300);
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
