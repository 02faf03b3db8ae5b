// Cron schedules of backups, verifies and drills, evaluated in a time zone. Pure.
//
// Functions timers have one schedule fixed at registration, while backup schedules live in the
// operations config; so one timer ticks (BACKUP_TIMER_SCHEDULE, every 5 minutes by default) and
// asks, per schedule, for the latest slot at or before now. The backup ID is derived from that
// slot, so every tick inside the slot (and a timer that fires twice) maps to one instance ID and
// starts one backup.
//
// Parsing and evaluation are croner's (https://github.com/hexagon/croner: IANA zones, DST gaps and
// repeats, Vixie-cron OR of the two day fields), which replaced a hand-written UTC-only parser:
// "02:00 every night" in Europe/London now stays 02:00 local across the clock changes. Five
// fields only (minute hour day-of-month month day-of-week); names (mon, jan) are accepted.
import { Cron as Croner } from 'croner';
import { validZone } from '../windows/interval.js';

export interface Cron {
  text: string;
  /** IANA zone the fields are read in (default UTC). */
  timezone: string;
  job: Croner;
}

/** Parses a five-field cron expression in `timezone`; throws an Error naming the problem and the fix. */
export function parseCron(text: string, timezone = 'UTC'): Cron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(
      `"${text}" has ${parts.length} fields; a schedule has five (minute hour day-of-month month day-of-week). Fix: e.g. "0 2 * * *" for 02:00 daily`,
    );
  }
  if (!validZone(timezone)) throw new Error(`"${text}" is not a cron schedule in ${timezone}: not an IANA time zone. Fix: e.g. Europe/London or UTC`);
  try {
    return { text, timezone, job: new Croner(parts.join(' '), { timezone, mode: '5-part', domAndDow: false, paused: true }) };
  } catch (e) {
    throw new Error(
      `"${text}" is not a cron schedule in ${timezone}: ${(e as Error).message}. Fix: five fields, each *, N, A-B, A,B or */N, e.g. "30 2 * * *"`,
    );
  }
}

/** The latest minute at or before `now` the schedule fires at, or null if none in the last ~5 years. */
export function latestSlot(c: Cron, now: Date): Date | null {
  const [prev] = c.job.previousRuns(1, new Date(now.getTime() + 1));
  if (!prev || now.getTime() - prev.getTime() > 5 * 366 * 86_400_000) return null;
  return prev;
}

/**
 * The slot a timer tick at `now` should start, or null: the latest slot, if it is at most
 * `startWithinSeconds` old (a tick that comes much later than the slot, after an outage, does not
 * start yesterday's backup under today's clock; the next slot will).
 */
export function dueSlot(c: Cron, now: Date, startWithinSeconds: number): Date | null {
  const slot = latestSlot(c, now);
  if (!slot) return null;
  return now.getTime() - slot.getTime() <= startWithinSeconds * 1000 ? slot : null;
}
